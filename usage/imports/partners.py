"""partners: csn, name, currency, token_price -> spp.Partner, upserted by CSN.

A partner that registers after its packs were imported takes them over: packs with its
CSN and no seller partner get it, and it is linked (as seller) to their teams.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from usage.imports import values as v
from usage.imports.common import (
    MAINT,
    RowCheck,
    all_or_nothing,
    differences,
    link_registered_sellers,
    read_rows,
)
from usage.imports.reader import Column, Row, Table
from usage.imports.report import ImportReport, RowError

COLUMNS = (
    Column("csn"),
    Column("name"),
    Column("currency"),
    Column("token_price"),
)


@dataclass(frozen=True)
class PartnerRecord:
    line: int
    csn: str
    name: str
    currency: str
    token_price: Decimal

    def data(self) -> dict:
        return {k: val for k, val in asdict(self).items() if k not in ("line", "csn")}


def validate(rows: list[Row]) -> tuple[list[PartnerRecord], list[RowError]]:
    records: dict[str, PartnerRecord] = {}
    errors: list[RowError] = []
    for row in rows:
        check = RowCheck(row)
        csn = check(v.parse_csn, "csn")
        name = check(v.required, "name")
        if name is not None:
            check(v.max_length, "name", 200)
        currency = check(v.parse_currency, "currency")
        price = check(v.parse_decimal, "token_price", max_digits=10, places=4, minimum=Decimal(0))
        if check.ok:
            record = PartnerRecord(row.line, csn, name, currency, price)
            first = records.get(csn)
            if first is None:
                records[csn] = record
            elif first.data() != record.data():
                diff = ", ".join(differences(first.data(), record.data()))
                check.fail(f"CSN {csn} appears again (line {first.line}) with other data: {diff}")
        errors.extend(check.errors)
    return list(records.values()), errors


def run(table: Table, report: ImportReport) -> set[int]:
    validated = validate(read_rows(table, COLUMNS))
    return all_or_nothing(report, validated, lambda records: write(records, report))


def write(records: list[PartnerRecord], report: ImportReport) -> set[int]:
    from flex.models import Pack
    from spp.models import Partner

    report.touch("partner")
    existing = {
        p.csn: p for p in Partner.objects.using(MAINT).filter(csn__in=[r.csn for r in records])
    }
    for record in records:
        partner = existing.get(record.csn)
        if partner is None:
            Partner.objects.using(MAINT).create(csn=record.csn, **record.data())
            report.count("partner", "created")
            continue
        current = {k: getattr(partner, k) for k in record.data()}
        if current == record.data():
            report.count("partner", "unchanged")
            continue
        for field, value in record.data().items():
            setattr(partner, field, value)
        partner.save(using=MAINT, update_fields=list(record.data()))
        report.count("partner", "updated")

    # Packs sold under these CSNs before the partner was registered.
    partner_pks = dict(
        Partner.objects.using(MAINT)
        .filter(csn__in=[r.csn for r in records])
        .values_list("csn", "pk")
    )
    orphans = Pack.unscoped.using(MAINT).filter(
        seller_csn__in=list(partner_pks), seller_partner__isnull=True
    )
    relinked: list[int] = []
    for csn, pk in partner_pks.items():
        pack_pks = list(orphans.filter(seller_csn=csn).values_list("pk", flat=True))
        if pack_pks:
            Pack.unscoped.using(MAINT).filter(pk__in=pack_pks).update(seller_partner=pk)
            relinked.extend(pack_pks)
    if not relinked:
        return set()
    report.count("pack", "updated", len(relinked))
    links, teams = link_registered_sellers(relinked)
    report.count("team link", "created", links)
    report.note(f"{len(relinked)} packs are now credited to their newly registered seller.")
    return teams
