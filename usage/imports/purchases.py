"""purchases: order_number, team_id, seller_csn, quantity, start_date, [end_date],
[unit_price], [currency], [discount_pct] -> flex.Pack, one per order number.

An order already known with the same data is unchanged; with other data it is a bad row
(a purchase is a fact: a changed quantity is a correction the operator must look at).
A blank optional cell means "not given": it is neither compared nor stored over a value,
and a value the database does not have yet (a price delivered later) is filled in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from flex.ledger import default_end_date
from usage.imports import values as v
from usage.imports.common import (
    MAINT,
    RowCheck,
    differences,
    import_against,
    link_sellers,
    partners_by_csn,
    teams_by_id,
)
from usage.imports.reader import Column, Row, Table
from usage.imports.report import ImportReport, RowError

COLUMNS = (
    Column("order_number"),
    Column("team_id"),
    Column("seller_csn"),
    Column("quantity"),
    Column("start_date"),
    Column("end_date", required=False),
    Column("unit_price", required=False),
    Column("currency", required=False),
    Column("discount_pct", ("discount", "discount %", "discount_percent"), required=False),
)
COMPARED = ("team", "seller_csn", "quantity", "start_date")
OPTIONAL = ("end_date", "unit_price", "currency", "discount_pct")


@dataclass(frozen=True)
class PackRecord:
    line: int
    order_number: str
    team: str  # Autodesk team id
    seller_csn: str
    quantity: int
    start_date: date
    end_date: date | None  # as given; None: the default end (see `end`)
    unit_price: Decimal | None
    currency: str | None
    discount_pct: Decimal | None

    @property
    def end(self) -> date:
        return self.end_date or default_end_date(self.start_date)

    def data(self) -> dict:
        """The fields the file gives (blank optional cells left out)."""
        data = {f: getattr(self, f) for f in COMPARED}
        data.update({f: getattr(self, f) for f in OPTIONAL if getattr(self, f) is not None})
        return data


@dataclass(frozen=True)
class Known:
    teams: dict[str, int]  # team id -> pk
    partners: dict[str, tuple[int, str]]  # CSN -> (pk, currency), registered sellers only
    packs: dict[str, dict]  # order number -> its data (PackRecord.data() keys)


def validate(rows: list[Row], known: Known) -> tuple[list[PackRecord], list[RowError]]:
    records: dict[str, PackRecord] = {}
    errors: list[RowError] = []
    for row in rows:
        check = RowCheck(row)
        order = check(v.required, "order_number")
        if order is not None:
            check(v.max_length, "order_number", 40)
        team = check(v.required, "team_id")
        if team is not None and team not in known.teams:
            check.fail(f"{row.label('team_id')}: unknown team {team!r}")
        seller = check(v.parse_csn, "seller_csn")
        quantity = check(v.parse_whole, "quantity", minimum=1)
        start = check(v.parse_date, "start_date")
        end = check.optional(v.parse_date, "end_date")
        if start and end and end < start:
            check.fail(f"{row.label('end_date')}: {end} is before the start date {start}")
        price = check.optional(
            v.parse_decimal, "unit_price", max_digits=12, places=4, minimum=Decimal(0)
        )
        currency = check.optional(v.parse_currency, "currency")
        discount = check.optional(
            v.parse_decimal, "discount_pct", max_digits=5, places=2, minimum=Decimal(0)
        )
        if discount is not None and discount > 100:
            check.fail(f"{row.label('discount_pct')}: must be at most 100, not {discount}")
        if price is not None and currency is None and seller:
            if seller in known.partners:
                currency = known.partners[seller][1]  # the seller's own currency
            else:
                check.fail(
                    f"{row.label('currency')}: missing required value "
                    "(a unit price needs a currency; the seller is not registered)"
                )
        if check.ok:
            record = PackRecord(
                row.line,
                order,
                team,
                seller,
                quantity,
                start,
                end,
                price,
                currency,
                discount,
            )
            _compare(record, records, known, check)
        errors.extend(check.errors)
    return list(records.values()), errors


def _compare(
    record: PackRecord,
    records: dict[str, PackRecord],
    known: Known,
    check: RowCheck,
) -> None:
    order = record.order_number
    first = records.get(order)
    if first is not None:
        diff = _conflicts(first.data(), record.data())
        if diff:
            check.fail(
                f"order {order} appears again (line {first.line}) with different data: "
                + ", ".join(diff)
            )
        else:  # the same purchase twice; a value only the repeat gives is kept
            fill = {k: val for k, val in record.data().items() if k not in first.data()}
            records[order] = replace(first, **fill)
        return
    stored = known.packs.get(order)
    if stored is not None:
        diff = _conflicts(stored, record.data())
        if diff:
            check.fail(f"order {order} already exists with different data: " + ", ".join(diff))
            return
    records[order] = record


def _conflicts(old: dict, new: dict) -> list[str]:
    """Fields both sides give, with different values (the end date as resolved)."""
    given_old = {k: val for k, val in old.items() if val is not None}
    common = {k: val for k, val in new.items() if k in given_old}
    return differences(given_old, common)


def fills(stored: dict, record: PackRecord) -> dict:
    """Values the file gives that the stored pack lacks (model field -> value)."""
    return {k: val for k, val in record.data().items() if stored.get(k) is None}


def run(table: Table, report: ImportReport) -> set[int]:
    return import_against(table, report, COLUMNS, load_known, validate, write)


def load_known(rows: list[Row]) -> Known:
    from flex.models import Pack

    orders = {row["order_number"] for row in rows if row["order_number"]}
    packs = {}
    for pack in Pack.unscoped.using(MAINT).filter(order_number__in=orders).select_related("team"):
        data = {
            "pk": pack.pk,
            "team": pack.team.team_id,
            "seller_csn": pack.seller_csn,
            "quantity": pack.quantity,
            "start_date": pack.start_date,
            "end_date": pack.end_date,
            "unit_price": pack.unit_price,
            "currency": pack.currency or None,
            "discount_pct": pack.discount_pct,
        }
        packs[pack.order_number] = data
    return Known(
        teams=teams_by_id(row["team_id"] for row in rows),
        partners=partners_by_csn(row["seller_csn"] for row in rows),
        packs=packs,
    )


def write(records: list[PackRecord], known: Known, report: ImportReport) -> set[int]:
    from flex.models import Pack

    report.touch("pack")
    new = []
    for record in records:
        stored = known.packs.get(record.order_number)
        if stored is not None:
            values = fills(stored, record)
            if not values:
                report.count("pack", "unchanged")
                continue
            Pack.unscoped.using(MAINT).filter(pk=stored["pk"]).update(**values)
            report.count("pack", "updated")  # prices do not change any Flex figure
            continue
        seller = known.partners.get(record.seller_csn)
        new.append(
            Pack(
                order_number=record.order_number,
                team_id=known.teams[record.team],
                seller_csn=record.seller_csn,
                seller_partner_id=seller[0] if seller else None,
                quantity=record.quantity,
                start_date=record.start_date,
                end_date=record.end,
                unit_price=record.unit_price,
                currency=record.currency or "",
                discount_pct=record.discount_pct,
                source=Pack.Source.FEED,
            )
        )
    Pack.unscoped.using(MAINT).bulk_create(new, batch_size=2000)
    report.count("pack", "created", len(new))
    off_platform = sorted({p.seller_csn for p in new if p.seller_partner_id is None})
    if off_platform:
        report.note(
            "sellers not registered (packs kept, no partner sees them): " + ", ".join(off_platform)
        )
    links = link_sellers({(p.seller_partner_id, p.team_id) for p in new if p.seller_partner_id})
    report.count("team link", "created", links)
    return {p.team_id for p in new}
