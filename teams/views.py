"""Team pages (balances, SPEC §9) and customer pages (manager assignment, contacts)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views import View

from spp import charts
from spp.dates import business_date
from spp.roles import Perm
from spp.views import PartnerScopedMixin
from teams import selectors, services
from teams.forms import AssignManagerForm, ContactForm
from teams.models import Account, Contact

PAGE_SIZE = 50
USAGE_DAYS = 90
CHART_DAYS = 365


def _page(request: HttpRequest, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return page, list(paginator.get_elided_page_range(page.number, on_each_side=2))


class TeamListView(PartnerScopedMixin, View):
    """Every team linked to the partner, with or without Flex, searchable."""

    def get(self, request: HttpRequest) -> HttpResponse:
        q = request.GET.get("q", "")
        page, page_range = _page(request, selectors.search_teams(q))
        return render(
            request,
            "teams/team_list.html",
            {
                "page": page,
                "page_range": page_range,
                "q": q,
                "query": urlencode({"q": q}) if q else "",
                "tab": "teams",
            },
        )


class TeamDetailView(PartnerScopedMixin, View):
    """A team's balances: donut, SPP figures, usage over 90 days, token events, daily chart."""

    def get(self, request: HttpRequest, team_id: str) -> HttpResponse:
        team = selectors.team_by_id(team_id)
        if team is None:
            raise Http404("No such team.")
        today = business_date()
        snapshot = selectors.team_figures(team)
        assignment = selectors.assignment_for(team.account)
        packs = selectors.own_packs(team)
        # Read as of the figures' date, so that the packs add up with the figures shown.
        pack_use = selectors.own_pack_use(team, packs, snapshot.as_of if snapshot else today)
        events = selectors.token_events(team)
        usage_start, usage_end = today - timedelta(days=USAGE_DAYS), today - timedelta(days=1)
        products, users = selectors.products_and_users(team, usage_start, usage_end)
        daily = selectors.daily_tokens(team, today - timedelta(days=CHART_DAYS), usage_end)
        donut = chart = None
        if snapshot is not None:
            donut = mark_safe(  # noqa: S308 — built by spp.charts, every text escaped
                charts.donut(snapshot.flex_tokens_balance, snapshot.flex_tokens_consumption)
            )
        if any(tokens for _, tokens in daily):
            chart = mark_safe(charts.line_chart(daily))  # noqa: S308 — escaped by spp.charts
        return render(
            request,
            "teams/team_detail.html",
            {
                "team": team,
                "account": team.account,
                "assignment": assignment,
                "may_quote": self.may(Perm.EDIT_QUOTES),
                "snapshot": snapshot,
                "donut": donut,
                "donut_colour": (
                    charts.donut_colour(snapshot.flex_tokens_balance, snapshot.flex_total_tokens)
                    if snapshot
                    else None
                ),
                "chart": chart,
                "chart_total": sum(tokens for _, tokens in daily),
                "chart_start": daily[0][0] if daily else None,
                "products": products,
                "product_tokens": sum(p.tokens for p in products),
                "users": users,
                "usage_start": usage_start,
                "usage_end": usage_end,
                "packs": packs,
                "ending_soon": selectors.packs_ending_within(packs, today),
                "events": events,
                "pack_rows": [(p, pack_use.get(p.order_number)) for p in packs],
                "timeline": selectors.token_timeline(team, packs, events, today, pack_use),
                "today": today,
                "flex_url": reverse("flex_list") + "?" + urlencode({"q": team.team_id}),
            },
        )


class CustomerListView(PartnerScopedMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        q = request.GET.get("q", "")
        page, page_range = _page(request, selectors.search_accounts(q))
        return render(
            request,
            "teams/customer_list.html",
            {
                "page": page,
                "page_range": page_range,
                "q": q,
                "query": urlencode({"q": q}) if q else "",
                "tab": "customers",
            },
        )


class CustomerMixin(PartnerScopedMixin):
    def account(self, csn: str) -> Account:
        account = selectors.account_by_csn(csn)
        if account is None:
            raise Http404("No such customer.")
        return account

    def forbidden(self, request: HttpRequest) -> HttpResponse:
        return render(request, "spp/forbidden.html", status=403)

    def detail_url(self, account: Account) -> str:
        return reverse("customer_detail", args=[account.csn])

    def show_customer(
        self, request: HttpRequest, account: Account, assign_form=None, status: int = 200
    ) -> HttpResponse:
        assignment = selectors.assignment_for(account)
        members = selectors.members()
        if assign_form is None:
            assign_form = AssignManagerForm(
                members=members,
                initial={"manager": assignment.account_manager_id if assignment else ""},
            )
        return render(
            request,
            "teams/customer_detail.html",
            {
                "account": account,
                "assignment": assignment,
                "teams": selectors.account_teams_with_figures(account),
                "contacts": selectors.contacts_of(account),
                "assign_form": assign_form,
                "can_assign": self.may(Perm.ASSIGN_ACCOUNTS),
                "can_edit_contacts": self.may(Perm.EDIT_CONTACTS),
                "tab": "customers",
            },
            status=status,
        )


class CustomerDetailView(CustomerMixin, View):
    def get(self, request: HttpRequest, csn: str) -> HttpResponse:
        account = self.account(csn)
        return self.show_customer(request, account)


class CustomerAssignView(CustomerMixin, View):
    required_perm = Perm.ASSIGN_ACCOUNTS

    def post(self, request: HttpRequest, csn: str) -> HttpResponse:
        account = self.account(csn)
        form = AssignManagerForm(request.POST, members=selectors.members())
        if not form.is_valid():
            return self.show_customer(request, account, assign_form=form, status=400)
        manager = form.manager_user()
        services.assign_account_manager(account, manager)
        messages.success(
            request,
            f"{manager} now manages {account.name} and its teams."
            if manager
            else f"{account.name} has no account manager now.",
        )
        return redirect(self.detail_url(account))


class ContactEditView(CustomerMixin, View):
    """Add (no pk) or edit a contact of the customer."""

    required_perm = Perm.EDIT_CONTACTS

    def contact(self, account: Account, pk: int | None) -> Contact:
        if pk is None:
            return Contact(account=account)
        contact = Contact.objects.filter(account=account, pk=pk).select_related("team").first()
        if contact is None:
            raise Http404("No such contact.")
        return contact

    def get(self, request: HttpRequest, csn: str, pk: int | None = None) -> HttpResponse:
        if not self.may(Perm.EDIT_CONTACTS):
            return self.forbidden(request)
        account = self.account(csn)
        contact = self.contact(account, pk)
        form = ContactForm(instance=contact, account=account)
        return self.show(request, account, contact, form)

    def post(self, request: HttpRequest, csn: str, pk: int | None = None) -> HttpResponse:
        account = self.account(csn)
        contact = self.contact(account, pk)
        form = ContactForm(request.POST, instance=contact, account=account)
        if form.is_valid():
            try:
                services.save_contact(form.instance, account)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                verb = "updated" if pk else "added"
                messages.success(request, f"Contact {form.instance.name} {verb}.")
                return redirect(self.detail_url(account))
        return self.show(request, account, contact, form, status=400)

    def show(self, request, account, contact, form, status: int = 200) -> HttpResponse:
        return render(
            request,
            "teams/contact_form.html",
            {"account": account, "contact": contact, "form": form, "tab": "customers"},
            status=status,
        )


class ContactDeleteView(ContactEditView):
    def get(self, request: HttpRequest, csn: str, pk: int) -> HttpResponse:  # type: ignore[override]
        if not self.may(Perm.EDIT_CONTACTS):
            return self.forbidden(request)
        account = self.account(csn)
        contact = self.contact(account, pk)
        return render(
            request,
            "teams/contact_delete.html",
            {"account": account, "contact": contact, "tab": "customers"},
        )

    def post(self, request: HttpRequest, csn: str, pk: int) -> HttpResponse:  # type: ignore[override]
        account = self.account(csn)
        contact = self.contact(account, pk)
        name = contact.name
        services.delete_contact(contact)
        messages.success(request, f"Contact {name} deleted.")
        return redirect(self.detail_url(account))
