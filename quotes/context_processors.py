"""The navbar's notification bell (unread count, from the cache: no query per page) and
whether the user menu offers the partner settings."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from spp.roles import Perm, role_allows
from spp.tenancy import current_partner_or_none


def notifications(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    membership = getattr(request, "membership", None)
    if (
        user is None
        or not user.is_authenticated
        or membership is None
        or current_partner_or_none() is None
    ):
        return {"unread_notifications": None, "can_manage_partner": False}

    def count() -> int:
        from quotes.selectors import unread_count

        return unread_count(user)

    return {
        # Lazy: evaluated only where the navbar draws it, inside the partner scope.
        "unread_notifications": SimpleLazyObject(count),
        "can_manage_partner": role_allows(membership.role, Perm.MANAGE_PARTNER),
    }
