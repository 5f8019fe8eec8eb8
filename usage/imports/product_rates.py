"""product_rates: product, tokens_per_day, effective_from, [named_user_price], [currency]
-> usage.ProductRate upserted on (product, effective_from); unknown products are added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from usage.imports import values as v
from usage.imports.common import (
    MAINT,
    RowCheck,
    add_products,
    all_or_nothing,
    differences,
    product_catalog,
    read_rows,
)
from usage.imports.reader import Column, Row, Table
from usage.imports.report import ImportReport, RowError

COLUMNS = (
    Column("product", ("product_name",)),
    Column("tokens_per_day", ("daily_rate", "tokens_per_day_rate")),
    Column("effective_from", ("effective_date", "from")),
    Column("named_user_price", required=False),
    Column("currency", required=False),
)


@dataclass(frozen=True)
class RateRecord:
    line: int
    product: str  # as written
    effective_from: date
    tokens_per_day: Decimal
    named_user_price: Decimal | None
    currency: str | None

    def data(self) -> dict:
        """The values the file gives (blank optional cells are not given)."""
        data = {"tokens_per_day": self.tokens_per_day}
        if self.named_user_price is not None:
            data["named_user_price"] = self.named_user_price
        if self.currency is not None:
            data["currency"] = self.currency
        return data


def validate(rows: list[Row], catalog: dict[str, int]) -> tuple[list[RateRecord], list[RowError]]:
    records: dict[tuple, RateRecord] = {}
    errors: list[RowError] = []
    for row in rows:
        check = RowCheck(row)
        product = check(v.required, "product")
        if product is not None and product.lower() not in catalog:
            check(v.max_length, "product", 120)  # a new product's name
        rate = check(v.parse_decimal, "tokens_per_day", max_digits=8, places=2, positive=True)
        since = check(v.parse_date, "effective_from")
        price = check.optional(
            v.parse_decimal, "named_user_price", max_digits=12, places=2, minimum=Decimal(0)
        )
        currency = check.optional(v.parse_currency, "currency")
        if price is not None and currency is None:
            check.fail(f"{row.label('currency')}: missing required value (a price needs one)")
        if check.ok:
            record = RateRecord(row.line, product, since, rate, price, currency)
            # A name and an alias of one product are the same product.
            key = (catalog.get(product.lower(), product.lower()), since)
            first = records.get(key)
            if first is None:
                records[key] = record
            elif first.data() != record.data():
                diff = ", ".join(differences(first.data(), record.data()))
                check.fail(
                    f"{product} from {since} appears again (line {first.line}) with other "
                    f"data: {diff}"
                )
        errors.extend(check.errors)
    return list(records.values()), errors


def run(table: Table, report: ImportReport) -> set[int]:
    catalog = product_catalog()
    validated = validate(read_rows(table, COLUMNS), catalog)
    # Rates feed the advisor and the metering, not the Flex figures: no team to recompute.
    return all_or_nothing(report, validated, lambda records: write(records, catalog, report))


def write(records: list[RateRecord], catalog: dict[str, int], report: ImportReport) -> None:
    from usage.models import ProductRate

    report.touch("product rate")
    new_products = add_products((r.product for r in records), catalog)
    if new_products:
        report.count("product", "created", len(new_products))
        report.note("new products: " + ", ".join(new_products))
    stored = {
        (rate.product_id, rate.effective_from): rate
        for rate in ProductRate.objects.using(MAINT).filter(
            product__in={catalog[r.product.lower()] for r in records}
        )
    }
    for record in records:
        product = catalog[record.product.lower()]
        rate = stored.get((product, record.effective_from))
        if rate is None:
            ProductRate.objects.using(MAINT).create(
                product_id=product,
                effective_from=record.effective_from,
                tokens_per_day=record.tokens_per_day,
                named_user_price=record.named_user_price,
                currency=record.currency or "",
            )
            report.count("product rate", "created")
            continue
        changed = [f for f, val in record.data().items() if getattr(rate, f) != val]
        if not changed:
            report.count("product rate", "unchanged")
            continue
        for field in changed:
            setattr(rate, field, record.data()[field])
        rate.save(using=MAINT, update_fields=changed)
        report.count("product rate", "updated")
