"""Pages of Token Balance (leads), quotes, settings and notifications.

Every view inherits PartnerScopedMixin: lookups go through scoped managers under RLS,
so another partner's lead, quote or notification is a 404 like a missing one.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from flex import export
from quotes import export as quote_export
from quotes import figures, selectors, services, tables
from quotes.filtersets import ACTIVE, ALL, STATUS_CHOICES, LeadFilterSet
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
from spp.lists import DEFAULT_PAGE_SIZE, ListLinks, page_context, paginate
from spp.roles import Perm
from spp.views import PartnerScopedMixin
from teams.models import Team

LEAD_LINKS = ListLinks(
    "lead_list",
    ("status", "manager", "end_from", "end_to", "q", "ordering"),
    kept=("status", "ordering"),
    export_url_name="lead_export",
)
QUOTE_LINKS = ListLinks("quote_list", ("q", "status"))


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "spp/forbidden.html", status=403)


# ------------------------------------------------------------------ Token Balance


class LeadListView(PartnerScopedMixin, View):
    """SPEC §7: the refill leads, filtered, sorted, paginated, exportable."""

    def get(self, request: HttpRequest) -> HttpResponse:
        data = request.GET
        today = business_date()
        filterset = LeadFilterSet(data, queryset=selectors.lead_rows(today))
        valid = filterset.is_valid()
        problems = [] if valid else filterset.error_messages()
        rows_qs = filterset.qs.values(*tables.VALUE_FIELDS) if valid else filterset.qs.none()
        context = LEAD_LINKS.table_context(
            data, rows_qs, problems, tables.screen_columns(), tables.DEFAULT_ORDERING
        )
        for row in context["rows"]:
            row["end_label"] = figures.end_date_label(row["projected_end"], today)
        # One currency on the page (the usual case): said once, in the header.
        currencies = {row["currency"] for row in context["rows"]}
        value_currency = currencies.pop() if len(currencies) == 1 else ""
        for header in context["headers"]:
            if header["column"].key == "value" and value_currency:
                header["unit"] = value_currency
        context.update(
            today=today,
            value_currency=value_currency,
            form=filterset.form,
            manager_choices=filterset.manager_choices,
            status_tabs=self._status_tabs(data, valid, filterset.manager_choices, today),
            can_export=self.may(Perm.EXPORT),
        )
        return render(request, "quotes/lead_list.html", context)

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
        return LEAD_LINKS.tabs(
            LEAD_LINKS.filter_params(data),
            "status",
            STATUS_CHOICES,
            counts,
            current=data.get("status") or ACTIVE,
            default=ACTIVE,
        )


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
                {
                    "problems": problems,
                    "back": LEAD_LINKS.url(**LEAD_LINKS.filter_params(request.GET)),
                },
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
        paginator, page = paginate(
            selectors.quote_rows(status, q), request.GET, DEFAULT_PAGE_SIZE, problems
        )
        counts = selectors.quote_status_counts(q)
        params = {k: v for k, v in (("q", q), ("status", status)) if v}
        return render(
            request,
            "quotes/quote_list.html",
            {
                **page_context(paginator, page, params),
                "quotes": list(page.object_list),
                "tabs": QUOTE_LINKS.tabs(
                    params,
                    "status",
                    [("", "All quotes"), *QuoteStatus.choices],
                    {**counts, "": counts["all"]},
                    current=status,
                ),
                "q": q,
                "status": status,
                "problems": problems,
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

    def save_quote(self, request, form, formset, write, verb: str) -> HttpResponse | None:
        """When the form and its lines are valid: the quote `write` makes of them, then
        its page with "Quote N {verb}." None when anything is wrong (on the form)."""
        if not (form.is_valid() and formset.is_valid()):
            return None
        try:
            quote = write(
                currency=form.cleaned_data["currency"],
                valid_until=form.cleaned_data["valid_until"],
                notes=form.cleaned_data["notes"],
                lines=formset.lines(),
            )
        except ValidationError as error:
            form.add_error(None, error)
            return None
        messages.success(request, f"Quote {quote.number} {verb}.")
        return redirect("quote_detail", number=quote.number)


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
        write = partial(services.create_quote, team=team, lead=lead, user=request.user)
        return self.save_quote(request, form, formset, write, "drafted") or self.render_form(
            request, form, formset, team=team, lead=lead, status=400
        )


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
        write = partial(services.update_quote, quote)
        return self.save_quote(request, form, formset, write, "saved") or self.render_form(
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
    """Send, accept, decline: SEND_QUOTES only; errors come back on the quote page.

    A subclass names its `form_class` (if it asks for anything), the `panel` the form
    lives in (reopened on an error), the message for an invalid form, and `act`.
    """

    required_perm = Perm.SEND_QUOTES
    form_class: type | None = None
    panel = ""
    invalid_message = ""

    def act(self, request: HttpRequest, quote: Quote, data: dict) -> str:
        """Do it (or raise ValidationError); return the message that says it is done."""
        raise NotImplementedError

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        return redirect("quote_detail", number=number)

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        quote = self.quote(number)
        form = self.form_class(request.POST) if self.form_class else None
        forms = {f"{self.panel}_form": form, "open_panel": self.panel} if form is not None else {}
        if form is not None and not form.is_valid():
            return self.failed(request, quote, ValidationError(self.invalid_message), **forms)
        try:
            done = self.act(request, quote, form.cleaned_data if form is not None else {})
        except ValidationError as error:
            return self.failed(request, quote, error, **forms)
        messages.success(request, done)
        return redirect("quote_detail", number=quote.number)

    def failed(self, request, quote, error: ValidationError, **forms) -> HttpResponse:
        messages.error(request, " ".join(error.messages))
        return render(request, "quotes/quote_detail.html", self.context(quote, **forms), status=400)


class QuoteSendView(QuoteActionView):
    def act(self, request: HttpRequest, quote: Quote, data: dict) -> str:
        services.send_quote(quote, request.user)
        return f"Quote {quote.number} marked as sent."


class QuoteAcceptView(QuoteActionView):
    form_class = AcceptForm
    panel = "accept"
    invalid_message = "Give the order date as YYYY-MM-DD."

    def act(self, request: HttpRequest, quote: Quote, data: dict) -> str:
        pack = services.accept_quote(quote, request.user, data["order_date"])
        return (
            f"Quote {quote.number} accepted: {pack.quantity:,} tokens added to "
            f"{quote.team.name} from {pack.start_date.isoformat()}."
        )


class QuoteDeclineView(QuoteActionView):
    form_class = ReasonForm
    panel = "decline"
    invalid_message = "Say why the customer declined."

    def act(self, request: HttpRequest, quote: Quote, data: dict) -> str:
        services.decline_quote(quote, request.user, data["reason"])
        return f"Quote {quote.number} declined."


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
        paginator, page = paginate(notifications, request.GET, DEFAULT_PAGE_SIZE, problems)
        return render(
            request,
            "quotes/notifications.html",
            {
                **page_context(paginator, page, {"show": show} if show else {}),
                "notifications": list(page.object_list),
                "show": show,
                "unread": selectors.unread_count(request.user),
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
