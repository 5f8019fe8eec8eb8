"""Usage reporting pages (SPEC §9): a team's summary, by product, by user (with details),
the partner's portfolio, and the exports of every table and of the raw rows.

Each page reads a fixed number of queries (usage.selectors) and builds its tables from
usage.tables definitions, so the page and its export (`?export=<table>&format=xlsx|csv`)
show the same rows. The range (`range=30d|3m|6m|9m|12m` or `start=&end=`) is in every
link, so a view can be shared.

Exports are built inside the request (its transaction and partner scope), never streamed
after it: see ARCHITECTURE.md, pitfalls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views import View

from flex import export
from flex.templatetags.spp_format import rate_level
from spp import charts
from spp.dates import business_date
from spp.lists import sort_header
from spp.roles import Perm
from spp.views import PartnerScopedMixin
from teams import selectors as team_selectors
from teams.models import Team
from usage import figures, ranges, selectors, tables
from usage.tables import Table

CHART_DAYS = 365
TOP = 5  # rows of the summary's top products and users
TOP_TEAMS = 10  # rows of the portfolio's burn-rate table (the export holds every team)
RAW_MAX_ROWS = {"csv": 500_000, "xlsx": 50_000}  # built in the request: under ~7 s each
PORTFOLIO_SERIES = 6  # products shown by name in the month chart, the rest as "Other"


# ------------------------------------------------------------------ table rendering


@dataclass
class Shown:
    """A table ready for the template: headers with sort links, formatted cells."""

    table: Table
    headers: list[dict]
    rows: list[dict]
    count: int
    export_xlsx: str
    export_csv: str
    footer: list[str] | None = None


def _query(params: dict[str, str]) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


class UsageMixin(PartnerScopedMixin):
    """Range parsing, table rendering and exports shared by every usage page."""

    tab = ""

    def setup_range(self, request: HttpRequest) -> None:
        self.today = business_date()
        self.range, self.range_problem = ranges.parse_or_default(request.GET, self.today)
        self.sort = request.GET.get("sort", "")

    @property
    def range_params(self) -> dict[str, str]:
        return self.range.params()

    def url(self, name: str, *args: Any, **params: str) -> str:
        query = _query({**self.range_params, **params})
        return reverse(name, args=args) + (f"?{query}" if query else "")

    def show(
        self,
        table: Table,
        rows: list,
        *,
        sortable: bool = False,
        link=None,
        link_key: str = "",
        footer: list[str] | None = None,
    ) -> Shown:
        current = ""
        if sortable:
            rows, current = tables.sort_rows(rows, table, self.sort)
        headers = []
        for column in table.columns:
            header = {
                "column": column,
                "numeric": column.numeric or column.type == "date",
                "sorted": False,
                "aria_sort": None,
                "url": "",
            }
            if sortable and column.sortable:
                # Numbers sort largest first on the first click, text A to Z.
                state, target = sort_header(column.key, current, first_descending=column.numeric)
                header.update(state, url="?" + _query({**self.range_params, "sort": target}))
            headers.append(header)
        shown_rows = []
        for row in rows:
            cells = []
            for column in table.columns:
                value = getattr(row, column.field)
                cells.append(
                    {
                        "text": tables.display(column, value),
                        "numeric": column.numeric or column.type == "date",
                        "muted": value in (None, "", 0) and column.type != "text",
                        "share": value if column.key == "share" else None,
                        "level": rate_level(value) if column.key == "flex_balance_rate" else "",
                    }
                )
            if link:
                target = link_key or table.columns[0].key
                for column, cell in zip(table.columns, cells, strict=True):
                    cell["url"] = link(row) if column.key == target else ""
            shown_rows.append({"cells": cells})
        base = {**self.range_params, "sort": self.sort, "export": table.name}
        return Shown(
            table=table,
            headers=headers,
            rows=shown_rows,
            count=len(rows),
            export_xlsx="?" + _query({**base, "format": "xlsx"}),
            export_csv="?" + _query({**base, "format": "csv"}),
            footer=footer,
        )

    def export_response(
        self, request: HttpRequest, available: dict[str, tuple[Table, list]], stem: str
    ) -> HttpResponse | None:
        """The file of `?export=<table>&format=…`, or None when no export is asked for."""
        name = request.GET.get("export")
        if not name:
            return None
        problems = []
        if not self.may(Perm.EXPORT):
            return render(request, "spp/forbidden.html", status=403)
        fmt = request.GET.get("format", "xlsx")
        if fmt not in export.FORMATS:
            problems.append(f"Format (format={fmt}): choose xlsx or csv.")
        if name not in available:
            problems.append(f"Table (export={name}): choose one of {', '.join(available)}.")
        if self.range_problem:
            problems.append(self.range_problem)
        if problems:
            return self.bad_export(request, problems)
        table, rows = available[name]
        if table.default_sort:
            rows, _ = tables.sort_rows(rows, table, self.sort)
        content = export.render(
            tables.export_rows(rows, table.columns), fmt, columns=table.columns, title=table.title
        )
        return _attachment(content, fmt, f"{stem}-{table.name}-{self._range_stem()}")

    def _range_stem(self) -> str:
        return f"{self.range.start.isoformat()}-to-{self.range.end.isoformat()}"

    def bad_export(self, request: HttpRequest, problems: list[str]) -> HttpResponse:
        return render(
            request,
            "usage/export_error.html",
            {"problems": problems, "back": request.path},
            status=400,
        )

    def range_context(self) -> dict:
        """The range picker: presets as links (keeping the sort), the custom dates."""
        keep = {"sort": self.sort} if self.sort else {}
        presets = [
            {
                "key": key,
                "label": label,
                "url": "?" + _query({"range": key, **keep}),
                "active": self.range.key == key,
            }
            for key, label in ranges.PRESETS.items()
        ]
        return {
            "range": self.range,
            "range_problem": self.range_problem,
            "range_presets": presets,
            "range_query": _query(self.range_params),
            "range_sort": self.sort,
            "range_max": ranges.last_complete_day(self.today),
            "range_max_days": ranges.MAX_CUSTOM_DAYS,
            "range_months": _months_text(self.range.months),
            "today": self.today,
        }


def _months_text(months: float) -> str:
    """3.0 -> "3", 1.0476 -> "1.05" (a custom range's share of months, see usage.ranges)."""
    return f"{months:.0f}" if abs(months - round(months)) < 0.005 else f"{months:.2f}"


def _attachment(content: bytes, fmt: str, stem: str) -> HttpResponse:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stem)
    response = HttpResponse(content, content_type=export.FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{safe}.{fmt}"'
    return response


def _team(team_id: str) -> Team:
    """A team linked to the partner (Team.objects), else 404; a NUL byte, which PostgreSQL
    cannot take in a string, names no team either."""
    team = None if "\x00" in team_id else team_selectors.team_by_id(team_id)
    if team is None:
        raise Http404("No such team.")
    return team


def _svg(markup: str):
    return mark_safe(markup)  # noqa: S308 — built by spp.charts, every text escaped


# ------------------------------------------------------------------ team pages


class TeamUsageMixin(UsageMixin):
    """A linked team's usage page: the team through Team.objects (404 when not linked)."""

    template = ""

    def get(self, request: HttpRequest, team_id: str, **kwargs: Any) -> HttpResponse:
        team = _team(team_id)
        self.team = team
        self.setup_range(request)
        self.labels = selectors.team_labels(team)
        data = self.data(team, **kwargs)
        available = data.pop("exports", {})
        response = self.export_response(request, available, f"usage-{team.team_id}")
        if response is not None:
            return response
        context = {
            "team": team,
            "account": team.account,
            "assignment": team_selectors.assignment_for(team.account),
            "team_tab": self.tab,
            "usage_query": _query(self.range_params),
            "can_export": self.may(Perm.EXPORT),
            "raw_csv": self.url("usage_raw_csv", team.team_id),
            "raw_xlsx": self.url("usage_raw_xlsx", team.team_id),
            **self.range_context(),
            **data,
        }
        return render(request, self.template, context)

    def data(self, team: Team, **kwargs: Any) -> dict:
        raise NotImplementedError

    def team_users(self, team: Team) -> tuple[dict[str, selectors.UserFigures], dict[int, str]]:
        """The team's users in the range, and the names of the products they used."""
        users = selectors.user_figures(team, self.range, self.labels)
        return users, selectors.product_names(p for u in users.values() for p in u.products)

    def user_url(self, slug: str) -> str:
        return self.url("usage_user", self.team.team_id, slug)

    def product_url(self, product_id: int) -> str:
        return self.url("usage_product", self.team.team_id, product_id)


class SummaryView(TeamUsageMixin, View):
    """Tokens used and remaining, added/removed in 7 days, 365-day chart, range figures."""

    tab = "summary"
    template = "usage/summary.html"

    def data(self, team: Team, **kwargs: Any) -> dict:
        rng = self.range
        snapshot = selectors.snapshot(team)
        users, names = self.team_users(team)
        daily = selectors.daily_series(
            team, self.today - timedelta(days=CHART_DAYS), self.today - timedelta(days=1)
        )
        in_range = selectors.daily_rows(team, rng)
        changes = selectors.token_changes(team, self.today, snapshot)
        range_tokens = sum(tokens for _, tokens, _ in in_range)
        product_list, _ = tables.sort_rows(
            tables.product_rows(users, names, rng), tables.PRODUCTS, "-tokens"
        )
        user_list, _ = tables.sort_rows(
            tables.user_rows(users, names, rng), tables.USERS, "-tokens"
        )
        daily_rows = [tables.DailyRow(d, t, u) for d, t, u in in_range]
        chart = None
        if any(tokens for _, tokens in daily):
            chart = _svg(charts.line_chart(daily))
        return {
            "snapshot": snapshot,
            "low_balance": bool(
                snapshot
                and snapshot.flex_total_tokens
                and snapshot.flex_tokens_balance < 0.2 * snapshot.flex_total_tokens
            ),
            "changes": changes,
            "change_net": sum(e.tokens or 0 for e in changes),
            "change_start": self.today - timedelta(days=selectors.CHANGE_DAYS - 1),
            "chart": chart,
            "chart_total": sum(tokens for _, tokens in daily),
            "chart_start": daily[0][0],
            "chart_end": daily[-1][0],
            "range_tokens": range_tokens,
            "range_products": len(product_list),
            "range_users": len(users),
            "range_avg": figures.monthly_average(range_tokens, rng.months),
            "range_days_used": sum(1 for _, tokens, _ in in_range if tokens),
            "top_products": [(p, self.product_url(p.product_id)) for p in product_list[:TOP]],
            "top_users": [(u, self.user_url(u.slug)) for u in user_list[:TOP]],
            "daily": self.show(tables.DAILY, daily_rows),
            "events_table": self.show(tables.EVENTS, changes),
            "exports": {
                "daily": (tables.DAILY, daily_rows),
                "events": (tables.EVENTS, changes),
            },
        }


class ProductsView(TeamUsageMixin, View):
    tab = "products"
    template = "usage/products.html"

    def data(self, team: Team, **kwargs: Any) -> dict:
        users, names = self.team_users(team)
        rows = tables.product_rows(users, names, self.range)
        total_tokens = sum(r.tokens for r in rows)
        footer = ["Total", tables.display(tables.PRODUCTS.columns[1], len(users))]
        footer += [
            tables.display(tables.PRODUCTS.columns[2], total_tokens),
            tables.display(
                tables.PRODUCTS.columns[3], figures.monthly_average(total_tokens, self.range.months)
            ),
            "100.0%" if total_tokens else "—",
        ]
        return {
            "products": self.show(
                tables.PRODUCTS,
                rows,
                sortable=True,
                link=lambda r: self.product_url(r.product_id),
                footer=footer,
            ),
            "total_users": len(users),
            "total_tokens": total_tokens,
            "exports": {"products": (tables.PRODUCTS, rows)},
        }


class ProductDetailView(TeamUsageMixin, View):
    tab = "products"
    template = "usage/product.html"

    def data(self, team: Team, product_id: int = 0, **kwargs: Any) -> dict:
        names = selectors.product_names([product_id])
        if product_id not in names or not selectors.team_has_product(team, product_id):
            raise Http404("This team has never used that product.")
        rng = self.range
        users = selectors.user_figures(team, rng, self.labels, product_id=product_id)
        team_tokens = sum(t for _, t, _ in selectors.daily_rows(team, rng))
        versions = tables.breakdown_rows(
            selectors.breakdown(team, rng, "version", product_id=product_id), names
        )
        features = tables.breakdown_rows(
            selectors.breakdown(team, rng, "feature", product_id=product_id), names
        )
        has_features = any(f.value != "(not reported)" for f in features)
        user_list = tables.user_rows(users, names, rng)
        bands = tables.band_rows(users.values())
        tokens = sum(u.tokens for u in users.values())
        series = selectors.product_daily(team, rng, product_id)
        band_chart = _svg(
            charts.bar_chart(
                [b.band for b in bands],
                [("Users", [b.users for b in bands])],
                unit="users",
                label=f"Users of {names[product_id]} per token band",
                testid="band-chart",
                height=220,
            )
        )
        daily_chart = None
        if any(t for _, t in series):
            daily_chart = _svg(
                charts.line_chart(series, label=f"Tokens used by day, {names[product_id]}")
            )
        exports = {
            "users": (tables.PRODUCT_USERS, user_list),
            "bands": (tables.BANDS, bands),
            "versions": (tables.VERSIONS, versions),
        }
        if has_features:
            exports["features"] = (tables.FEATURES, features)
        return {
            "product_id": product_id,
            "product_name": names[product_id],
            "users_count": len(users),
            "tokens": tokens,
            "avg_month": figures.monthly_average(tokens, rng.months),
            "share": figures.share(tokens, team_tokens),
            "days_used": sum(1 for _, t in series if t),
            "band_chart": band_chart if users else None,
            "daily_chart": daily_chart,
            "bands": self.show(tables.BANDS, bands),
            "versions": self.show(tables.VERSIONS, versions, sortable=False),
            "features": self.show(tables.FEATURES, features) if has_features else None,
            "users": self.show(
                tables.PRODUCT_USERS,
                user_list,
                sortable=True,
                link=lambda r: self.user_url(r.slug),
            ),
            "exports": exports,
        }


class UsersView(TeamUsageMixin, View):
    tab = "users"
    template = "usage/users.html"

    def data(self, team: Team, **kwargs: Any) -> dict:
        users, names = self.team_users(team)
        rows = tables.user_rows(users, names, self.range)
        return {
            "users": self.show(
                tables.USERS, rows, sortable=True, link=lambda r: self.user_url(r.slug)
            ),
            "total_tokens": sum(r.tokens for r in rows),
            "exports": {"users": (tables.USERS, rows)},
        }


class UserDetailView(TeamUsageMixin, View):
    tab = "users"
    template = "usage/user.html"

    def data(self, team: Team, slug: str = "", **kwargs: Any) -> dict:
        key = figures.key_for_slug(self.labels, slug)
        if key is None:
            raise Http404("No such user in this team.")
        rng = self.range
        label = self.labels[key]
        found = selectors.user_figures(team, rng, self.labels, user_key=key)
        user = found.get(key) or selectors.UserFigures(key, label)
        versions_raw = selectors.breakdown(team, rng, "version", user_key=key)
        days = selectors.days_by_product(team, rng, key)
        names = selectors.product_names(
            [*user.products, *days, *(b.product_id for b in versions_raw)]
        )
        products = tables.user_product_rows(user, names, rng)
        versions = sorted(
            tables.breakdown_rows(versions_raw, names), key=lambda r: (r.product, r.value)
        )
        grid = figures.week_grid(
            {names.get(p, "?"): d for p, d in days.items()}, rng.start, rng.end
        )
        weeks = tables.week_rows(grid)
        heat = None
        if grid.rows:
            heat = _svg(
                charts.heat_grid(
                    grid.weeks,
                    grid.rows,
                    grid.capacity,
                    label=f"Days used per week by {label}",
                    span=1100,
                )
            )
        return {
            "user_label": label,
            "person": user,
            "avg_month": figures.monthly_average(user.tokens, rng.months),
            "heat": heat,
            "products": self.show(
                tables.USER_PRODUCTS,
                products,
                sortable=True,
                link=lambda r: self.product_url(r.product_id),
            ),
            "versions": self.show(tables.USER_VERSIONS, versions),
            "weeks": self.show(tables.USER_WEEKS, weeks),
            "exports": {
                "products": (tables.USER_PRODUCTS, products),
                "versions": (tables.USER_VERSIONS, versions),
                "weeks": (tables.USER_WEEKS, weeks),
            },
        }


# ------------------------------------------------------------------ raw export


class RawExportView(UsageMixin, View):
    """The imported rows of a range, users as their pseudonymous labels (never a key or an
    e-mail: the stored key is a pseudonym, but it is the same in every team and export)."""

    def get(self, request: HttpRequest, team_id: str, fmt: str) -> HttpResponse:
        if not self.may(Perm.EXPORT):
            return render(request, "spp/forbidden.html", status=403)
        team = _team(team_id)
        self.setup_range(request)
        if self.range_problem:
            return self.bad_export(request, [self.range_problem])
        total = selectors.raw_count(team, self.range)
        limit = RAW_MAX_ROWS[fmt]
        if total > limit:
            return self.bad_export(
                request,
                [
                    f"This range holds {total:,} usage rows; a .{fmt} export holds at most "
                    f"{limit:,}. Choose a shorter range"
                    + (" or the .csv format." if fmt == "xlsx" else ".")
                ],
            )
        labels = selectors.team_labels(team)
        rows = [
            (day, team.team_id, product, version, labels.get(key, figures.ANONYMOUS), feature, tok)
            for day, product, version, key, feature, tok in selectors.raw_rows(
                team, self.range
            ).iterator(chunk_size=10_000)
        ]
        content = export.render(rows, fmt, columns=tables.RAW.columns, title=tables.RAW.title)
        return _attachment(content, fmt, f"usage-{team.team_id}-raw-{self._range_stem()}")


# ------------------------------------------------------------------ portfolio


class PortfolioView(UsageMixin, View):
    """Every linked team at a glance: tokens by product and month, top teams by burn rate."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.setup_range(request)
        rng = self.range
        months, product_teams = selectors.portfolio_products(rng)
        names = selectors.product_names(p for p, _, _, _ in months)
        products = tables.portfolio_product_rows(months, product_teams, names, rng)
        month_list = tables.month_rows(months, names)
        export_name = request.GET.get("export")
        teams, team_count = selectors.portfolio_teams(
            rng, None if export_name == "teams" else TOP_TEAMS
        )
        response = self.export_response(
            request,
            {
                "products": (tables.PORTFOLIO_PRODUCTS, products),
                "months": (tables.PORTFOLIO_MONTHS, month_list),
                "teams": (tables.PORTFOLIO_TEAMS, teams),
            },
            f"usage-portfolio-{self.partner.csn}",
        )
        if response is not None:
            return response
        totals = {"tokens": sum(tokens for _, _, tokens, _ in months), "teams": team_count}
        chart = None
        if months:
            chart = _svg(self.month_chart(products, month_list))
        month_totals: dict[date, int] = {}
        for row in month_list:
            month_totals[row.month] = month_totals.get(row.month, 0) + row.tokens
        context = {
            **self.range_context(),
            "usage_query": _query(self.range_params),
            "can_export": self.may(Perm.EXPORT),
            "totals": totals,
            "avg_month": figures.monthly_average(totals["tokens"], rng.months),
            "product_count": len(products),
            "chart": chart,
            "products": self.show(tables.PORTFOLIO_PRODUCTS, products, sortable=True),
            "months": self.show(tables.PORTFOLIO_MONTHS, month_list),
            "month_totals": sorted(month_totals.items()),
            "teams": self.show(
                tables.PORTFOLIO_TEAMS_SCREEN,
                teams,
                link=lambda t: self.url("usage_summary", t.team_id),
                link_key="team_name",
            ),
            "partial_months": rng.start.day != 1 or rng.end != ranges.month_end(rng.end),
        }
        return render(request, "usage/portfolio.html", context)

    def month_chart(self, products: list, month_list: list) -> str:
        """Stacked bars per month: the biggest products by name, the rest as "Other"."""
        ranked = sorted(products, key=lambda p: (-p.tokens, p.product))
        named = [p.product for p in ranked[:PORTFOLIO_SERIES]]
        months = ranges.month_starts(self.range.start, self.range.end)
        index = {m: i for i, m in enumerate(months)}
        series = {name: [0.0] * len(months) for name in named}
        other = [0.0] * len(months)
        for row in month_list:
            target = series.get(row.product, other)
            target[index[row.month]] += row.tokens
        data = [(name, series[name]) for name in named]
        if any(other):
            data.append(("Other", other))
        colours = list(charts.PALETTE[: len(named)]) + [charts.OTHERS]
        return charts.bar_chart(
            [m.strftime("%Y-%m") for m in months],
            data,
            width=960,
            height=280,
            label="Tokens by month and product",
            testid="month-chart",
            colours=colours,
        )


# ------------------------------------------------------------------ audit (SPEC §11)


class AuditView(TeamUsageMixin, View):
    """Reported charges held against the charges the session logs explain: findings by
    cause with the tokens and value at stake, compliance warnings, the evidence file."""

    tab = "audit"
    template = "usage/audit.html"

    def export_response(
        self, request: HttpRequest, available: dict[str, tuple[Table, list]], stem: str
    ) -> HttpResponse | None:
        return super().export_response(request, available, stem.replace("usage-", "audit-", 1))

    def data(self, team: Team, **kwargs: Any) -> dict:
        from flex.advisor_selectors import token_price

        found = selectors.team_audit(team, self.range, self.labels)
        price = token_price(self.partner, self.today)
        context: dict[str, Any] = {
            "coverage": found.coverage,
            "reported_outside": found.reported_outside,
            "price": price,
            "result": None,
            "has_any_sessions": True,
            "exports": {},
        }
        result = found.result
        if result is None:
            context["has_any_sessions"] = selectors.has_sessions(team)
            return context
        names = selectors.product_names(
            {v.reported.product for v in result.verdicts}
            | {w.product for w in result.warnings}
            | {c.product for c in result.charges}
        )
        evidence = tables.evidence_rows(
            result, found.labels, found.machines, names, price.price, price.currency
        )
        # Day, then user and product as the page shows them (labels, names).
        evidence.sort(key=lambda r: (r.day, figures.sort_label(r.user), r.product, r.version))
        findings = [row for row in evidence if row.cause != "expected"]
        causes = tables.cause_rows(result, price.price)
        warnings = tables.warning_rows(result, found.labels, found.machines, names)
        at_stake = float(result.tokens_at_stake)
        chart = None
        if findings:
            chart = _svg(
                charts.hbar_chart(
                    [(c.label, c.tokens) for c in causes],
                    label="Tokens at stake by cause",
                    testid="cause-chart",
                    colour=charts.RED,
                )
            )
        context.update(
            result=result,
            findings=findings,
            finding_count=len(findings),
            causes=causes,
            warnings=warnings,
            tokens_at_stake=at_stake,
            value_at_stake=(float(result.tokens_at_stake * price.price) if price.price else None),
            expected_count=sum(1 for c in result.charges if c.tokens),
            seat_count=sum(1 for c in result.charges if c.seat),
            unreported_tokens=float(sum(c.tokens for c in result.unreported)),
            cause_chart=chart,
            findings_table=self.show(tables.AUDIT_FINDINGS, findings),
            causes_table=self.show(tables.AUDIT_CAUSES, causes),
            warnings_table=self.show(tables.AUDIT_WARNINGS, warnings),
            evidence_table=self.show(tables.AUDIT_EVIDENCE, evidence),
            exports={
                "evidence": (tables.AUDIT_EVIDENCE, evidence),
                "findings": (tables.AUDIT_FINDINGS, findings),
                "causes": (tables.AUDIT_CAUSES, causes),
                "warnings": (tables.AUDIT_WARNINGS, warnings),
            },
        )
        return context
