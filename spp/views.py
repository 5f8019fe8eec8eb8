"""Tenancy views: the scoped base every partner page inherits, health, partner switch."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.cache import cache
from django.db import connections
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views import View
from django.views.decorators.http import require_POST

from spp.models import ApiKey, ApiKeyScope
from spp.roles import Perm, role_allows
from spp.selectors import active_membership
from spp.services import create_api_key, revoke_api_key
from spp.tenancy import partner_scope


class PartnerScopedMixin(LoginRequiredMixin):
    """Base of every partner page: signs-in, picks the partner, scopes the request.

    The response is rendered inside the scope: a TemplateResponse would otherwise
    render after the view returns, outside the request's transaction and partner.
    """

    required_perm: Perm | None = None  # needed for unsafe methods (POST, …)

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        membership = active_membership(request)
        if membership is None:
            return render(request, "spp/no_partner.html", status=403)
        self.membership = membership
        self.partner = membership.partner
        request.partner = membership.partner
        request.membership = membership
        if request.method not in ("GET", "HEAD", "OPTIONS") and not self.may(self.required_perm):
            return render(request, "spp/forbidden.html", status=403)
        with partner_scope(self.partner, user_id=request.user.pk):
            response = super().dispatch(request, *args, **kwargs)
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response

    def may(self, perm: Perm | None) -> bool:
        return perm is None or role_allows(self.membership.role, perm)


class PlaceholderView(PartnerScopedMixin, View):
    """A section that a later release fills; says so plainly."""

    title = ""
    message = ""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, "spp/placeholder.html", {"title": self.title, "message": self.message}
        )


@require_POST
def switch_partner(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("account_login")
    active_membership(request)
    wanted = request.POST.get("partner_id", "")
    for membership in request._spp_memberships:
        if str(membership.partner_id) == wanted:
            request.session["partner_id"] = membership.partner_id
            break
    return redirect("dashboard")


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the database (each alias) and Redis; 503 when one is down."""
    checks = {}
    for alias in ("default", "maint"):
        try:
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT 1")
            checks[f"database_{alias}"] = "ok"
        except Exception as exc:  # noqa: BLE001 — report any failure, never raise
            checks[f"database_{alias}"] = f"error: {exc.__class__.__name__}"
    try:
        cache.set("healthz", "ok", 10)
        checks["redis"] = "ok" if cache.get("healthz") == "ok" else "error: no echo"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


# ------------------------------------------------------------------ API keys (web)


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the key is for, e.g. “ERP sync”: to recognise it later."
    )
    scope = forms.ChoiceField(
        choices=ApiKeyScope.choices,
        initial=ApiKeyScope.READ,
        help_text="Read only, or read and write (contacts, account managers, quotes).",
    )


class ApiKeysView(PartnerScopedMixin, View):
    """Settings → API keys: partner admins create (shown once), list and revoke keys."""

    required_perm = Perm.MANAGE_PARTNER

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.may(Perm.MANAGE_PARTNER):
            return render(request, "spp/forbidden.html", status=403)
        return self._page(request, ApiKeyForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ApiKeyForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=400)
        key, raw = create_api_key(
            self.partner,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            created_by=request.user,
        )
        # Shown in this response only, never stored: no redirect through the session.
        return self._page(request, ApiKeyForm(), new_key=key, raw_key=raw)

    def _page(self, request: HttpRequest, form, status: int = 200, **extra) -> HttpResponse:
        keys = ApiKey.objects.select_related("created_by").order_by("-created_at", "-pk")
        response = render(
            request,
            "spp/api_keys.html",
            {"form": form, "keys": list(keys), **extra},
            status=status,
        )
        if "raw_key" in extra:
            response["Cache-Control"] = "no-store"
        return response


class ApiKeyRevokeView(PartnerScopedMixin, View):
    required_perm = Perm.MANAGE_PARTNER

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        key = ApiKey.objects.filter(pk=pk).first()  # the partner's own keys only
        if key is None:
            raise Http404("No such API key.")
        if key.revoked_at is None:
            revoke_api_key(key)
            messages.success(request, f"The key “{key.name}” ({key.prefix}…) is revoked.")
        return redirect("api_keys")
