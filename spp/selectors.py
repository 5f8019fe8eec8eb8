"""Reads of the tenancy core: which partner a request acts for."""

from __future__ import annotations

from django.http import HttpRequest

from spp.models import ApiKey, Membership, Partner, hash_api_key
from spp.tenancy import db_settings


def memberships_for(user) -> list[Membership]:
    """The user's memberships, partners included (RLS: rows of this user only)."""
    with db_settings({"spp.user_id": str(user.pk)}):
        return list(
            Membership.unscoped.filter(user=user)
            .select_related("partner")
            .order_by("partner__name")
        )


def active_membership(request: HttpRequest) -> Membership | None:
    """The membership the signed-in user acts in: the one chosen in the session, else the first."""
    if hasattr(request, "_spp_membership"):
        return request._spp_membership
    memberships = memberships_for(request.user) if request.user.is_authenticated else []
    chosen = request.session.get("partner_id") if hasattr(request, "session") else None
    membership = next((m for m in memberships if m.partner_id == chosen), None)
    membership = membership or (memberships[0] if memberships else None)
    request._spp_membership = membership
    request._spp_memberships = memberships
    return membership


def api_key_for(raw_key: str) -> ApiKey | None:
    """The key matching a presented raw key (RLS lets through only the row with its hash)."""
    key_hash = hash_api_key(raw_key)
    with db_settings({"spp.api_key_hash": key_hash}):
        return ApiKey.unscoped.filter(key_hash=key_hash).first()


def partner_by_id(partner_id: int) -> Partner:
    with db_settings({"spp.partner_id": str(partner_id)}):
        return Partner.objects.get(pk=partner_id)
