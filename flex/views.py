"""Pages of the Flex figures: the dashboard, the Flex list, its export and export jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views import View

from flex import advisor_selectors, advisor_tables, export, selectors, tables
from flex.filtersets import FlexSnapshotFilterSet
from flex.forms import ColumnChoiceForm
from flex.templatetags.spp_format import pct
from quotes import selectors as quote_selectors
from spp import charts
from spp.lists import ListLinks
from spp.models import Role
from spp.roles import Perm
from spp.views import PartnerScopedMixin
from usage import ranges as usage_ranges
from usage import tables as usage_tables
from usage import views as usage_views
from usage.views import TeamUsageMixin, UsageMixin

COLUMNS_SESSION_KEY = "flex_columns"
FLEX_LINKS = ListLinks(
    "flex_list",
    (
        "bucket",
        "manager",
        "balance_min",
        "balance_max",
        "end_from",
        "end_to",
        "q",
        "ordering",
        "as_of",
    ),
    kept=("bucket", "ordering", "as_of"),
    export_url_name="flex_export",
)
list_url = FLEX_LINKS.url  # the Flex list filtered by its keyword arguments
filter_params = FLEX_LINKS.filter_params  # a request's filter and sort parameters


class DashboardView(PartnerScopedMixin, View):
    """The FLEX widget and what an account manager needs first thing in the morning."""

    def get(self, request: HttpRequest) -> HttpResponse:
        scope = request.GET.get("scope")
        if scope not in ("mine", "all"):
            scope = "mine" if self.membership.role == Role.ACCOUNT_MANAGER else "all"
        manager = request.user.pk if scope == "mine" else None
        as_of = selectors.latest_as_of()
        context = {
            "scope": scope,
            "as_of": as_of,
            "buckets": selectors.BUCKETS,
            "manager_param": manager or "",
        }
        if as_of is not None:
            counts = selectors.widget_counts(as_of, manager)
            soon_count, soon = selectors.projected_end_within(as_of, 30, manager)
            expiring_teams, expiring_tokens, expiring = selectors.expiring_within_90_days(
                as_of, manager
            )
            entered_counts, entered = selectors.bucket_entries(as_of, manager)
            context.update(
                counts=counts,
                widget=_bucket_links(counts, manager),
                soon=soon,
                soon_count=soon_count,
                soon_url=list_url(
                    bucket="all",
                    manager=manager,
                    end_from=as_of.isoformat(),
                    end_to=(as_of + timedelta(days=30)).isoformat(),
                    ordering="flex_projected_end_date",
                ),
                expiring=expiring,
                expiring_teams=expiring_teams,
                expiring_tokens=expiring_tokens,
                entered=entered,
                entered_counts=_bucket_links(entered_counts, manager),
                entered_total=sum(count for key, count in entered_counts.items() if key != "all"),
                yesterday=as_of - timedelta(days=1),
                open_leads=quote_selectors.open_leads(manager, limit=8),
            )
        return render(request, "flex/dashboard.html", context)


def _bucket_links(counts: dict[str, int], manager) -> list[dict]:
    """Each bucket with its count and a link to its teams on the Flex list."""
    return [
        {
            "bucket": bucket,
            "count": counts[bucket.key],
            "url": list_url(bucket=bucket.key, manager=manager),
        }
        for bucket in selectors.BUCKETS
    ]


class FlexListView(PartnerScopedMixin, View):
    """SPEC §6: the filtered, sorted, paginated Flex list; a constant number of queries."""

    def get(self, request: HttpRequest) -> HttpResponse:
        data = request.GET
        filterset = FlexSnapshotFilterSet(data)
        valid = filterset.is_valid()
        problems = [] if valid else filterset.error_messages()
        as_of = filterset.resolved_as_of()
        latest = selectors.latest_as_of() if data.get("as_of") else as_of
        rows_qs = filterset.qs.values(*tables.VALUE_FIELDS) if valid else filterset.qs.none()
        columns = tables.screen_columns(request.session.get(COLUMNS_SESSION_KEY))
        context = FLEX_LINKS.table_context(
            data, rows_qs, problems, columns, tables.DEFAULT_ORDERING
        )
        if valid and data.get("as_of") and not context["paginator"].count:
            if not selectors.has_snapshot_on(as_of):
                problems.append(
                    f"There are no figures for {as_of.isoformat()}"
                    + (f"; the latest are for {latest.isoformat()}." if latest else ".")
                )
        params = context["params"]
        shown = {column.key for column in columns}
        context.update(
            filterset=filterset,
            form=filterset.form,
            manager_choices=filterset.manager_choices,
            as_of=as_of,
            latest_as_of=latest,
            bucket_tabs=self._bucket_tabs(data, valid, as_of, filterset.manager_choices),
            column_choices=[
                (key, tables.BY_KEY[key].header, key in shown) for key in tables.SCREEN_KEYS
            ],
            can_export=self.may(Perm.EXPORT),
            async_threshold=export.ASYNC_THRESHOLD,
            latest_url=list_url(**{k: v for k, v in params.items() if k != "as_of"}),
        )
        return render(request, "flex/list.html", context)

    @staticmethod
    def _bucket_tabs(data, valid: bool, as_of, manager_choices: list) -> list[dict]:
        """One tab per bucket with its count under the other filters (one query)."""
        others = data.copy()
        others.pop("bucket", None)
        if as_of is not None:
            others["as_of"] = as_of.isoformat()  # resolved once: no second MAX(as_of)
        counts = {}
        if valid and as_of is not None:
            base = FlexSnapshotFilterSet(others, manager_choices=manager_choices).qs
            aggregates = {b.key: _count(b.q()) for b in selectors.BUCKETS}
            aggregates["any"] = _count(None)
            counts = base.order_by().aggregate(**aggregates)
            counts[""] = counts.pop("any")  # the tab of every team with a pack
        return FLEX_LINKS.tabs(
            filter_params(data),
            "bucket",
            [
                ("", "Every team with a pack"),
                *((b.key, b.label, b.description) for b in selectors.BUCKETS),
            ],
            counts,
            current=data.get("bucket") or "",
        )


def _count(condition):
    from django.db.models import Count

    return Count("pk", filter=condition) if condition is not None else Count("pk")


class FlexColumnsView(PartnerScopedMixin, View):
    """The column chooser: the choice is kept in the session, per user."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ColumnChoiceForm(request.POST)
        if request.POST.get("reset"):
            request.session.pop(COLUMNS_SESSION_KEY, None)
        elif form.is_valid():
            request.session[COLUMNS_SESSION_KEY] = form.cleaned_data["columns"]
        target = request.POST.get("next") or reverse("flex_list")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = reverse("flex_list")
        return HttpResponseRedirect(target)


class FlexExportView(PartnerScopedMixin, View):
    """The export of exactly the filtered, sorted rows: at once when small, else a job.

    The file is built here, inside the request's transaction and partner scope: a
    streaming response would read the database after both have ended.
    """

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.may(Perm.EXPORT):
            return render(request, "spp/forbidden.html", status=403)
        fmt = request.GET.get("format", "xlsx")
        if fmt not in export.FORMATS:
            return _bad_export(request, [f"Format (format={fmt}): choose xlsx or csv."])
        filterset = FlexSnapshotFilterSet(request.GET)
        if not filterset.is_valid():
            return _bad_export(request, filterset.error_messages())
        as_of = filterset.resolved_as_of()
        name = export.filename(self.partner.csn, as_of, fmt, request.GET.get("bucket"))
        queryset = filterset.qs
        total = queryset.count()
        if total > export.ASYNC_THRESHOLD:
            job_id = export.start_job(
                partner_id=self.partner.pk,
                user_id=request.user.pk,
                params=filter_params(request.GET),
                fmt=fmt,
                total=total,
                name=name,
            )
            return redirect("flex_export_job", job_id=job_id)
        content = export.render(export.rows_from(queryset), fmt)
        response = HttpResponse(content, content_type=export.FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _bad_export(request: HttpRequest, problems: list[str]) -> HttpResponse:
    return render(
        request,
        "flex/export_error.html",
        {"problems": problems, "back": list_url(**filter_params(request.GET))},
        status=400,
    )


class ExportJobMixin(PartnerScopedMixin):
    """A job is reachable only by the person who started it, acting for the same partner."""

    def job(self, job_id: str) -> dict:
        job = export.job_status(job_id)
        if (
            not job
            or job.get("partner_id") != self.partner.pk
            or job.get("user_id") != self.request.user.pk
        ):
            raise Http404("No such export.")
        return job


class ExportJobView(ExportJobMixin, View):
    def get(self, request: HttpRequest, job_id: str) -> HttpResponse:
        job = self.job(job_id)
        return render(
            request,
            "flex/export_job.html",
            {"job": job, "job_id": job_id, "status": _status_payload(job_id, job)},
        )


class ExportJobStatusView(ExportJobMixin, View):
    def get(self, request: HttpRequest, job_id: str) -> HttpResponse:
        return JsonResponse(_status_payload(job_id, self.job(job_id)))


class ExportJobDownloadView(ExportJobMixin, View):
    def get(self, request: HttpRequest, job_id: str) -> HttpResponse:
        job = self.job(job_id)
        path = Path(job.get("path") or "")
        root = export.exports_root().resolve()
        if job.get("state") != "done" or not path.is_file() or root not in path.resolve().parents:
            raise Http404("The export is not ready or has expired.")
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=job.get("filename") or path.name,
            content_type=export.FORMATS.get(job.get("format"), "application/octet-stream"),
        )


def _status_payload(job_id: str, job: dict) -> dict:
    total = job.get("total") or 0
    done = job.get("done") or 0
    percent = 100 if job.get("state") == "done" else (int(done * 100 / total) if total else 0)
    return {
        "state": job.get("state"),
        "done": done,
        "total": total,
        "percent": percent,
        "error": job.get("error", ""),
        "filename": job.get("filename", ""),
        "download_url": reverse("flex_export_download", args=[job_id])
        if job.get("state") == "done"
        else "",
    }


# ------------------------------------------------------------------ Flex advisor (SPEC §10)


ADVISOR_RANGE = "12m"  # a year of usage: segments, a season and yearly costs read best
ADVISOR_TOP = 10  # rows of the printed report's tables
SEAT_HIDDEN = ("days_used", "currency", "note")


class AdvisorRangeMixin:
    """The advisor's default range is the past 12 complete months, not the usage pages'
    30 days (an explicit range in the URL still wins)."""

    def setup_range(self, request: HttpRequest) -> None:
        super().setup_range(request)
        if not any(request.GET.get(key) for key in ("range", "start", "end")):
            self.range = usage_ranges.preset(ADVISOR_RANGE, self.today)


class AdvisorView(AdvisorRangeMixin, TeamUsageMixin, View):
    """A team's advisor tab: who should move to named seats and what that saves, forecast
    waste and the refill that avoids running dry, segments, product mix, seasonality, and
    from session logs short-session waste and off-hours use."""

    tab = "advisor"
    template = "flex/advisor.html"

    def export_response(self, request, available, stem):
        return super().export_response(request, available, stem.replace("usage-", "advisor-", 1))

    def data(self, team, **kwargs) -> dict:
        advice = advisor_selectors.team_advice(
            team, self.range, self.partner, self.today, self.labels
        )
        return advisor_context(self, advice)


class AdvisorPrintView(AdvisorView):
    """The advisor as one printable page the partner hands to the customer."""

    template = "flex/advisor_print.html"

    def data(self, team, **kwargs) -> dict:
        context = super().data(team, **kwargs)
        context["partner"] = self.partner
        context["back"] = self.url("flex_advisor", team.team_id)
        context["top"] = ADVISOR_TOP
        # Narrower charts for the sheet: drawn at about their printed size, their labels
        # stay legible on paper.
        advice = context["advice"]
        mix = context["mix_rows"][:6]
        if mix:
            context["mix_chart"] = _advisor_svg(
                charts.hbar_chart(
                    [(m.product, m.tokens) for m in mix],
                    label="Tokens per product",
                    testid="report-mix-chart",
                    notes=[pct(m.share) for m in mix],
                    width=340,
                )
            )
        if advice.season.months:
            peak = advice.season.peak
            context["season_chart"] = _advisor_svg(
                charts.column_chart(
                    [m.name for m in advice.season.months],
                    [m.tokens for m in advice.season.months],
                    highlight=advice.season.months.index(peak) if peak else None,
                    average=advice.season.average,
                    label="Average tokens by calendar month",
                    testid="report-season-chart",
                    width=380,
                    height=170,
                )
            )
        return context


def advisor_context(view, advice) -> dict:
    """The advisor page's (and its print's) context: tables, charts, headline figures."""
    names = advice.names
    segment_of = {s.user: s.segment for s in advice.segments}
    seats = advisor_tables.seat_rows(advice.seats, segment_of, names)
    users = advisor_tables.user_rows(advice.segments)
    mix = advisor_tables.mix_rows(advice.mix, names)
    sessions = (
        advisor_tables.session_rows(advice.sessions, advice.session_labels, names)
        if advice.sessions
        else []
    )
    movers = [row for row in seats if row.cheaper]
    saving = sum(row.saving or 0 for row in movers)
    saving_currency = next(iter(advice.savings.saving_year), advice.price.currency)
    charts_ = {}
    if advice.users:
        charts_["segment_chart"] = _advisor_svg(
            charts.hbar_chart(
                [(c.label, c.users) for c in advice.segment_counts],
                unit="users",
                label="Users per segment",
                testid="segment-chart",
                notes=[pct(c.share) if c.users else "" for c in advice.segment_counts],
                width=520,
            )
        )
        charts_["mix_chart"] = _advisor_svg(
            charts.hbar_chart(
                [(m.product, m.tokens) for m in mix[:8]],
                label="Tokens per product",
                testid="mix-chart",
                notes=[pct(m.share) for m in mix[:8]],
                width=520,
            )
        )
    if advice.season.months:
        charts_["season_chart"] = _advisor_svg(
            charts.column_chart(
                [m.name for m in advice.season.months],
                [m.tokens for m in advice.season.months],
                highlight=advice.season.months.index(advice.season.peak)
                if advice.season.peak
                else None,
                average=advice.season.average,
                label="Average tokens by calendar month",
                testid="season-chart",
                width=640,
                height=210,
            )
        )
    break_even = _break_even_rows(advice, names)
    exports = {
        "seats": (advisor_tables.SEATS, seats),
        "users": (advisor_tables.USERS, users),
        "segments": (advisor_tables.SEGMENTS, advice.segment_counts),
        "mix": (advisor_tables.MIX, mix),
        "season": (advisor_tables.SEASON, advice.season.months),
    }
    if advice.sessions is not None:
        exports["sessions"] = (advisor_tables.SESSIONS, sessions)
    shown = view.show(advisor_tables.SEATS, seats, sortable=True)
    seats_sorted, _ = usage_tables.sort_rows(seats, advisor_tables.SEATS, view.sort)
    return {
        "advice": advice,
        "seats": shown,
        # The page leaves out what its footnote says once (currency) or a title holds.
        "seat_headers": [h for h in shown.headers if h["column"].key not in SEAT_HIDDEN],
        "seat_rows": seats,
        "seat_rows_sorted": seats_sorted,
        "movers": movers,
        "saving": saving,
        "saving_currency": saving_currency,
        "users_table": view.show(advisor_tables.USERS, users, sortable=False),
        "segments_table": view.show(advisor_tables.SEGMENTS, advice.segment_counts),
        "mix_table": view.show(advisor_tables.MIX, mix),
        "mix_rows": mix,
        "season_table": view.show(advisor_tables.SEASON, advice.season.months),
        "sessions_table": view.show(advisor_tables.SESSIONS, sessions),
        "session_rows": sessions,
        "break_even": break_even,
        "power_users": next((c.users for c in advice.segment_counts if c.segment == "power"), 0),
        "print_url": view.url("flex_advisor_print", view.team.team_id),
        **charts_,
        "exports": exports,
    }


@dataclass(frozen=True)
class BreakEven:
    product: str
    rate: Decimal
    named_price: Decimal
    token_price: Decimal
    currency: str
    days: float
    users_above: int


def _break_even_rows(advice, names) -> list[BreakEven]:
    """Per product compared: the break-even days a month and how many users are above."""
    rows: dict[int, BreakEven] = {}
    for a in advice.seats:
        if a.break_even_days is None:
            continue
        known = rows.get(a.product)
        above = (known.users_above if known else 0) + (1 if a.cheaper_on_named else 0)
        rows[a.product] = BreakEven(
            names.get(a.product, "?"),
            a.daily_rate,
            a.named_cost_year,
            a.token_price,
            a.currency,
            a.break_even_days,
            above,
        )
    return sorted(rows.values(), key=lambda r: r.product)


def _advisor_svg(markup: str):
    return mark_safe(markup)  # noqa: S308 — built by spp.charts, every text escaped


class AdvisorPortfolioView(AdvisorRangeMixin, UsageMixin, View):
    """The partner's teams ranked by the yearly saving of moving users to named seats, and
    by the tokens forecast to expire unused."""

    def get(self, request: HttpRequest) -> HttpResponse:
        self.setup_range(request)
        savings = advisor_selectors.portfolio_savings(self.partner, self.range, self.today)
        waste = advisor_selectors.portfolio_waste(self.partner, self.today)
        response = self.export_response(
            request,
            {
                "savings": (advisor_tables.PORTFOLIO_SAVINGS, savings),
                "waste": (advisor_tables.PORTFOLIO_WASTE, waste),
            },
            f"advisor-portfolio-{self.partner.csn}",
        )
        if response is not None:
            return response
        link = lambda row: self.url("flex_advisor", row.team_id)  # noqa: E731
        currencies = sorted({row.currency for row in savings})
        context = {
            **self.range_context(),
            "usage_query": usage_views._query(self.range_params),
            "can_export": self.may(Perm.EXPORT),
            "savings": self.show(
                advisor_tables.PORTFOLIO_SAVINGS_SCREEN, savings, link=link, link_key="team_name"
            ),
            "waste": self.show(
                advisor_tables.PORTFOLIO_WASTE_SCREEN, waste, link=link, link_key="team_name"
            ),
            "saving_total": sum(row.saving for row in savings),
            "saving_currency": currencies[0] if len(currencies) == 1 else "",
            "saving_teams": len({row.team_id for row in savings}),
            "saving_users": sum(row.users for row in savings),
            "waste_total": sum(row.waste for row in waste),
            "waste_value": sum(row.value or 0 for row in waste),
            "waste_currency": waste[0].currency if waste else self.partner.currency,
            "full_months": len(advisor_selectors.full_months_of(self.range)),
        }
        return render(request, "flex/advisor_portfolio.html", context)
