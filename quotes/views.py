"""Pages of Token Balance (leads), quotes, settings and notifications.

Every view inherits PartnerScopedMixin: lookups go through scoped managers under RLS,
so another partner's lead, quote or notification is a 404 like a missing one.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from flex import export
from quotes import export as quote_export
from quotes import figures, selectors, services, tables
from quotes.filtersets import ALL, STATUS_CHOICES, LeadFilterSet
from quotes.forms import (
    AcceptForm,
    LineFormSet,
    PartnerSettingsForm,
    PriceFormSet,
    QuoteForm,
    ReasonForm,
    line_initial,
    price_initial,
)
from quotes.models import Lead, Quote, QuoteStatus
from spp.dates import business_date
from spp.roles import Perm
from spp.views import PartnerScopedMixin
from teams.models import Team

PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
LIST_PARAMS = ("status", "manager", "end_from", "end_to", "q", "ordering")


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "spp/forbidden.html", status=403)


def _page_size(value: str | None) -> tuple[int, str]:
    if value in (None, ""):
        return DEFAULT_PAGE_SIZE, ""
    try:
        size = int(value)
    except ValueError:
        return DEFAULT_PAGE_SIZE, f"Rows per page (page_size={value}): enter a whole number."
    if not 1 <= size <= MAX_PAGE_SIZE:
        return DEFAULT_PAGE_SIZE, f"Rows per page (page_size={value}): choose 1 to {MAX_PAGE_SIZE}."
    return size, ""


def _paginate(queryset, data: QueryDict, page_size: int, problems: list[str]):
    paginator = Paginator(queryset, page_size)
    number = data.get("page") or 1
    try:
        page = paginator.page(number)
    except PageNotAnInteger:
        problems.append(f"Page (page={number}): enter a whole number.")
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
        if str(number) != "1":
            problems.append(
                f"Page {number} does not exist; this is the last page, {paginator.num_pages}."
            )
    return paginator, page


def lead_list_url(**params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("lead_list") + (f"?{query}" if query else "")


def filter_params(data: QueryDict) -> dict[str, str]:
    return {name: data.get(name) for name in LIST_PARAMS if data.get(name) not in (None, "")}


# ------------------------------------------------------------------ Token Balance


class LeadListView(PartnerScopedMixin, View):
    """SPEC §7: the refill leads, filtered, sorted, paginated, exportable."""

    def get(self, request: HttpRequest) -> HttpResponse:
        data = request.GET
        today = business_date()
        filterset = LeadFilterSet(data, queryset=selectors.lead_rows(today))
        valid = filterset.is_valid()
        problems = [] if valid else filterset.error_messages()
        page_size, size_problem = _page_size(data.get("page_size"))
        if size_problem:
            problems.append(size_problem)
        rows_qs = filterset.qs.values(*tables.VALUE_FIELDS) if valid else filterset.qs.none()
        paginator, page = _paginate(rows_qs, data, page_size, problems)
        rows = list(page.object_list)
        for row in rows:
            row["end_label"] = figures.end_date_label(row["projected_end"], today)
        params = filter_params(data)
        ordering = data.get("ordering") or tables.DEFAULT_ORDERING
        columns = tables.screen_columns()
        currencies = {row["currency"] for row in rows}
        return render(
            request,
            "quotes/lead_list.html",
            {
                "today": today,
                # One currency on the page (the usual case): said once, in the header.
                "value_currency": currencies.pop() if len(currencies) == 1 else "",
                "form": filterset.form,
                "manager_choices": filterset.manager_choices,
                "problems": problems,
                "page": page,
                "paginator": paginator,
                "rows": rows,
                "columns": columns,
                "headers": [_header(column, ordering, params) for column in columns],
                "status_tabs": self._status_tabs(data, valid, filterset.manager_choices, today),
                "params": params,
                "page_size": page_size,
                "page_sizes": PAGE_SIZES,
                "page_query": urlencode({**params, "page_size": page_size}),
                "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
                "has_filters": any(k in params for k in LIST_PARAMS if k != "ordering"),
                "can_export": self.may(Perm.EXPORT),
                "export_xlsx": reverse("lead_export")
                + "?"
                + urlencode({**params, "format": "xlsx"}),
                "export_csv": reverse("lead_export") + "?" + urlencode({**params, "format": "csv"}),
            },
        )

    @staticmethod
    def _status_tabs(data: QueryDict, valid: bool, manager_choices, today) -> list[dict]:
        """A tab per status with its count under the other filters (one query)."""
        others = data.copy()
        others["status"] = ALL
        counts = {}
        if valid:
            base = LeadFilterSet(
                others, queryset=selectors.lead_rows(today), manager_choices=manager_choices
            ).qs
            counts = selectors.status_counts(base)
        params = filter_params(data)
        params.pop("status", None)
        current = data.get("status") or "active"
        return [
            {
                "key": key,
                "label": label,
                "count": counts.get(key),
                "url": lead_list_url(**params, status=key if key != "active" else ""),
                "active": current == key,
            }
            for key, label in STATUS_CHOICES
        ]


def _header(column, ordering: str, params: dict[str, str]) -> dict:
    current = ordering.lstrip("-") == column.key
    descending = ordering.startswith("-")
    target = ("" if descending else "-") + column.key if current else column.key
    return {
        "column": column,
        "sorted": current,
        "descending": current and descending,
        "aria_sort": ("descending" if descending else "ascending") if current else "none",
        "url": lead_list_url(**{**params, "ordering": target}),
    }


class LeadExportView(PartnerScopedMixin, View):
    """Exactly the filtered, sorted leads, built inside the request's scope."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.may(Perm.EXPORT):
            return _forbidden(request)
        fmt = request.GET.get("format", "xlsx")
        problems = [] if fmt in export.FORMATS else [f"Format (format={fmt}): choose xlsx or csv."]
        filterset = LeadFilterSet(request.GET)
        if not problems and not filterset.is_valid():
            problems = filterset.error_messages()
        if problems:
            return render(
                request,
                "flex/export_error.html",
                {"problems": problems, "back": lead_list_url(**filter_params(request.GET))},
                status=400,
            )
        columns = tables.export_columns()
        rows = export.rows_from(filterset.qs, columns)
        content = export.render(rows, fmt, columns=columns, title="Token Balance")
        name = f"token-balance-{self.partner.csn}-{business_date().isoformat()}.{fmt}"
        response = HttpResponse(content, content_type=export.FORMATS[fmt])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class LeadMixin(PartnerScopedMixin):
    def lead(self, number: int) -> Lead:
        lead = selectors.lead_by_number(number)
        if lead is None:
            raise Http404("No such lead.")
        return lead


class LeadDetailView(LeadMixin, View):
    def get(self, request: HttpRequest, number: int) -> HttpResponse:
        lead = self.lead(number)
        today = business_date()
        return render(
            request,
            "quotes/lead_detail.html",
            {
                "lead": lead,
                **selectors.lead_detail(lead),
                "today": today,
                "end_label": figures.end_date_label(lead.projected_end, today),
                "can_quote": self.may(Perm.EDIT_QUOTES) and lead.is_active,
                # A final lead takes no more quotes; its team still can have one.
                "can_quote_team": self.may(Perm.EDIT_QUOTES),
                "can_mark_lost": self.may(Perm.EDIT_QUOTES) and lead.is_active,
                "lost_form": ReasonForm(),
            },
        )


class LeadLostView(LeadMixin, View):
    required_perm = Perm.EDIT_QUOTES

    def post(self, request: HttpRequest, number: int) -> HttpResponse:
        lead = self.lead(number)
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                services.mark_lead_lost(lead, request.user, form.cleaned_data["reason"])
                messages.success(request, f"Lead {lead.number} marked lost.")
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        else:
            messages.error(request, "Say why the lead is lost.")
        return redirect("lead_detail", number=lead.number)


# ------------------------------------------------------------------ quotes


class QuoteMixin(PartnerScopedMixin):
    def quote(self, number: str) -> Quote:
        quote = selectors.quote_by_number(number)
        if quote is None:
            raise Http404("No such quote.")
        return quote


class QuoteListView(PartnerScopedMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        status = request.GET.get("status", "")
        if status not in QuoteStatus.values:
            status = ""
        q = request.GET.get("q", "")
        problems: list[str] = []
        paginator, page = _paginate(
            selectors.quote_rows(status, q), request.GET, DEFAULT_PAGE_SIZE, problems
        )
        counts = selectors.quote_status_counts(q)
        base = {"q": q} if q else {}
        tabs = [
            {
                "key": "",
                "label": "All quotes",
                "count": counts["all"],
                "url": reverse("quote_list") + ("?" + urlencode(base) if base else ""),
                "active": status == "",
            }
        ] + [
            {
                "key": key,
                "label": label,
                "count": counts[key],
                "url": reverse("quote_list") + "?" + urlencode({**base, "status": key}),
                "active": status == key,
            }
            for key, label in QuoteStatus.choices
        ]
        return render(
            request,
            "quotes/quote_list.html",
            {
                "page": page,
                "paginator": paginator,
                "quotes": list(page.object_list),
                "tabs": tabs,
                "q": q,
                "status": status,
                "problems": problems,
                "page_query": urlencode({**base, **({"status": status} if status else {})}),
                "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
                "can_edit": self.may(Perm.EDIT_QUOTES),
                "today": business_date(),
            },
        )


class QuoteFormMixin(QuoteMixin):
    """The quote form and its line formset, shared by create and edit."""

    required_perm = Perm.EDIT_QUOTES
    template = "quotes/quote_form.html"

    def render_form(self, request, form, formset, *, quote=None, team=None, lead=None, status=200):
        return render(
            request,
            self.template,
            {
                "form": form,
                "formset": formset,
                "quote": quote,
                "team": team,
                "lead": lead,
                "prices": selectors.price_map(),
                "today": business_date(),
            },
            status=status,
        )


class QuoteCreateView(QuoteFormMixin, View):
    """A new draft: from a lead (?lead=N), from a team (?team=TEAM_ID) or from scratch."""

    def _origin(self, request: HttpRequest) -> tuple[Team | None, Lead | None]:
        lead = team = None
        if request.GET.get("lead"):
            try:
                number = int(request.GET["lead"])
            except ValueError:
                raise Http404("No such lead.") from None
            lead = selectors.lead_by_number(number)
            if lead is None:
                raise Http404("No such lead.")
            team = lead.team
        elif request.GET.get("team"):
            team = (
                Team.objects.select_related("account").filter(team_id=request.GET["team"]).first()
            )
            if team is None:
                raise Http404("No such team.")
        return team, lead

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.may(Perm.EDIT_QUOTES):
            return _forbidden(request)
        team, lead = self._origin(request)
        if lead is not None and not lead.is_active:
            messages.warning(
                request,
                f"Lead {lead.number} is {lead.get_status_display().lower()}; "
                "this quote is for the team only.",
            )
            lead = None
        currencies = services.currencies_offered()
        if team is not None:
            defaults = services.draft_defaults(team, lead)
            form = QuoteForm(
                currencies=currencies,
                initial={k: defaults[k] for k in ("currency", "valid_until", "notes")},
            )
            formset = LineFormSet(initial=line_initial(defaults["lines"]), prefix="lines")
        else:
            defaults = services.draft_defaults(None, None)
            form = QuoteForm(
                currencies=currencies,
                ask_team=True,
                initial={k: defaults[k] for k in ("currency", "valid_until", "notes")},
            )
            formset = LineFormSet(initial=line_initial(defaults["lines"]), prefix="lines")
        return self.render_form(request, form, formset, team=team, lead=lead)

    def post(self, request: HttpRequest) -> HttpResponse:
        team, lead = self._origin(request)
        if lead is not None and not lead.is_active:
            lead = None
        form = QuoteForm(
            request.POST, currencies=services.currencies_offered(), ask_team=team is None
        )
        formset = LineFormSet(request.POST, prefix="lines")
        if form.is_valid() and team is None:
            team = Team.objects.filter(team_id=form.cleaned_data["team_id"].strip()).first()
            if team is None:
                form.add_error("team_id", "None of your teams has this team id.")
        if form.is_valid() and formset.is_valid():
            try:
                quote = services.create_quote(
                    team=team,
                    lead=lead,
                    user=request.user,
                    currency=form.cleaned_data["currency"],
                    valid_until=form.cleaned_data["valid_until"],
                    notes=form.cleaned_data["notes"],
                    lines=formset.lines(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Quote {quote.number} drafted.")
                return redirect("quote_detail", number=quote.number)
        return self.render_form(request, form, formset, team=team, lead=lead, status=400)


class QuoteEditView(QuoteFormMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        quote = self.quote(number)
        if not self.may(Perm.EDIT_QUOTES):
            return _forbidden(request)
        if not quote.is_editable:
            messages.info(
                request,
                f"Quote {quote.number} is {quote.get_status_display().lower()}: "
                "only drafts can be changed.",
            )
            return redirect("quote_detail", number=quote.number)
        form = QuoteForm(
            currencies=self._currencies(quote),
            initial={
                "currency": quote.currency,
                "valid_until": quote.valid_until,
                "notes": quote.notes,
            },
        )
        lines = [
            services.LineData(x.description, x.tokens, x.unit_price, x.discount_pct)
            for x in quote.lines.all()
        ]
        formset = LineFormSet(initial=line_initial(lines), prefix="lines")
        return self.render_form(
            request, form, formset, quote=quote, team=quote.team, lead=quote.lead
        )

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        quote = self.quote(number)
        form = QuoteForm(request.POST, currencies=self._currencies(quote))
        formset = LineFormSet(request.POST, prefix="lines")
        if form.is_valid() and formset.is_valid():
            try:
                services.update_quote(
                    quote,
                    currency=form.cleaned_data["currency"],
                    valid_until=form.cleaned_data["valid_until"],
                    notes=form.cleaned_data["notes"],
                    lines=formset.lines(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Quote {quote.number} saved.")
                return redirect("quote_detail", number=quote.number)
        return self.render_form(
            request, form, formset, quote=quote, team=quote.team, lead=quote.lead, status=400
        )

    @staticmethod
    def _currencies(quote: Quote) -> list[str]:
        offered = services.currencies_offered()
        return offered if quote.currency in offered else [*offered, quote.currency]


class QuoteDetailView(QuoteMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        quote = self.quote(number)
        return render(request, "quotes/quote_detail.html", self.context(quote))

    def context(self, quote: Quote, **forms) -> dict:
        today = business_date()
        return {
            "quote": quote,
            "lines": selectors.quote_lines(quote),
            "totals": selectors.quote_totals(quote),
            "today": today,
            "can_edit": self.may(Perm.EDIT_QUOTES) and quote.is_editable,
            "can_send": self.may(Perm.SEND_QUOTES) and quote.status == QuoteStatus.DRAFT,
            "can_close": self.may(Perm.SEND_QUOTES) and quote.status == QuoteStatus.SENT,
            "can_export": self.may(Perm.EXPORT),
            "overdue": quote.status == QuoteStatus.SENT and quote.valid_until < today,
            "accept_form": forms.get("accept_form") or AcceptForm(initial={"order_date": today}),
            "decline_form": forms.get("decline_form") or ReasonForm(),
            "open_panel": forms.get("open_panel", ""),
        }


class QuoteActionView(QuoteDetailView):
    """Send, accept, decline: SEND_QUOTES only; errors come back on the quote page."""

    required_perm = Perm.SEND_QUOTES

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        return redirect("quote_detail", number=number)

    def failed(self, request, quote, error: ValidationError, **forms) -> HttpResponse:
        messages.error(request, " ".join(error.messages))
        return render(request, "quotes/quote_detail.html", self.context(quote, **forms), status=400)


class QuoteSendView(QuoteActionView):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        quote = self.quote(number)
        try:
            services.send_quote(quote, request.user)
        except ValidationError as error:
            return self.failed(request, quote, error)
        messages.success(request, f"Quote {quote.number} marked as sent.")
        return redirect("quote_detail", number=quote.number)


class QuoteAcceptView(QuoteActionView):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        quote = self.quote(number)
        form = AcceptForm(request.POST)
        if not form.is_valid():
            return self.failed(
                request,
                quote,
                ValidationError("Give the order date as YYYY-MM-DD."),
                accept_form=form,
                open_panel="accept",
            )
        try:
            pack = services.accept_quote(quote, request.user, form.cleaned_data["order_date"])
        except ValidationError as error:
            return self.failed(request, quote, error, accept_form=form, open_panel="accept")
        messages.success(
            request,
            f"Quote {quote.number} accepted: {pack.quantity:,} tokens added to "
            f"{quote.team.name} from {pack.start_date.isoformat()}.",
        )
        return redirect("quote_detail", number=quote.number)


class QuoteDeclineView(QuoteActionView):
    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        quote = self.quote(number)
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return self.failed(
                request,
                quote,
                ValidationError("Say why the customer declined."),
                decline_form=form,
                open_panel="decline",
            )
        try:
            services.decline_quote(quote, request.user, form.cleaned_data["reason"])
        except ValidationError as error:
            return self.failed(request, quote, error, decline_form=form, open_panel="decline")
        messages.success(request, f"Quote {quote.number} declined.")
        return redirect("quote_detail", number=quote.number)


class QuotePrintView(QuoteMixin, View):
    """A clean page to print or save as PDF: no navigation, print CSS."""

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        quote = self.quote(number)
        return render(
            request,
            "quotes/quote_print.html",
            {
                "quote": quote,
                "partner": self.partner,
                "lines": selectors.quote_lines(quote),
                "totals": selectors.quote_totals(quote),
                "today": business_date(),
            },
        )


class QuoteExportView(QuoteMixin, View):
    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        quote = self.quote(number)
        if not self.may(Perm.EXPORT):
            return _forbidden(request)
        content = quote_export.quote_xlsx(
            quote, self.partner, selectors.quote_lines(quote), selectors.quote_totals(quote)
        )
        response = HttpResponse(content, content_type=export.FORMATS["xlsx"])
        response["Content-Disposition"] = f'attachment; filename="{quote.number}.xlsx"'
        return response


# ------------------------------------------------------------------ settings


class SettingsView(PartnerScopedMixin, View):
    """Lead thresholds, notification preferences and price lists: partner admins only."""

    required_perm = Perm.MANAGE_PARTNER

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.may(Perm.MANAGE_PARTNER):
            return _forbidden(request)
        return self.page(request)

    def page(self, request, settings_form=None, price_formset=None, status=200) -> HttpResponse:
        current = services.settings_for(self.partner.pk)
        return render(
            request,
            "quotes/settings.html",
            {
                "settings_form": settings_form or PartnerSettingsForm(instance=current),
                "price_formset": price_formset
                or PriceFormSet(
                    initial=price_initial(selectors.price_lists(), self.partner.currency),
                    prefix="prices",
                ),
                "prices": selectors.price_map(),
                "today": business_date(),
            },
            status=status,
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("section") == "prices":
            formset = PriceFormSet(request.POST, prefix="prices")
            if formset.is_valid():
                services.save_price_lists(formset.rows())
                messages.success(request, "Price list saved. Lead values follow within a minute.")
                return redirect("partner_settings")
            return self.page(request, price_formset=formset, status=400)
        form = PartnerSettingsForm(request.POST, instance=services.settings_for(self.partner.pk))
        if form.is_valid():
            services.save_settings(form.instance, request.user)
            messages.success(
                request, "Settings saved. Leads follow the new thresholds within a minute."
            )
            return redirect("partner_settings")
        return self.page(request, settings_form=form, status=400)


# ------------------------------------------------------------------ notifications


class NotificationListView(PartnerScopedMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        show = request.GET.get("show", "")
        notifications = selectors.notifications_for(request.user)
        if show == "unread":
            notifications = notifications.filter(read_at__isnull=True)
        problems: list[str] = []
        paginator, page = _paginate(notifications, request.GET, DEFAULT_PAGE_SIZE, problems)
        return render(
            request,
            "quotes/notifications.html",
            {
                "page": page,
                "paginator": paginator,
                "notifications": list(page.object_list),
                "show": show,
                "unread": selectors.unread_count(request.user),
                "page_query": urlencode({"show": show} if show else {}),
                "page_range": list(paginator.get_elided_page_range(page.number, on_each_side=2)),
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        ids = request.POST.getlist("id")
        if ids:
            try:
                pks = [int(pk) for pk in ids]
            except ValueError:
                raise Http404("No such notification.") from None
            if not selectors.notifications_for(request.user).filter(pk__in=pks).exists():
                raise Http404("No such notification.")
            services.mark_read(request.user, pks)
        else:
            count = services.mark_read(request.user)
            messages.success(
                request, f"{count} notification{'s' if count != 1 else ''} marked read."
            )
        target = request.POST.get("next") or reverse("notification_list")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("notification_list")
        return redirect(target)


class NotificationOpenView(PartnerScopedMixin, View):
    """Follow a notification: mark it read, go to its team."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        notification = selectors.notifications_for(request.user).filter(pk=pk).first()
        if notification is None:
            raise Http404("No such notification.")
        if notification.read_at is None:
            services.mark_read(request.user, [notification.pk])
        return redirect("team_detail", team_id=notification.team.team_id)
