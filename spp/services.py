"""Writes of the tenancy core."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from spp.models import ApiKey, ApiKeyScope, Partner
from spp.tenancy import db_settings

LAST_USED_RESOLUTION = timedelta(minutes=1)


def create_api_key(
    partner: Partner | None,
    *,
    name: str,
    scope: str = ApiKeyScope.READ,
    created_by=None,
    using: str = "default",
    operator: bool = False,
) -> tuple[ApiKey, str]:
    """A new key; returns it with the raw key, which is shown once and never stored.

    `operator=True` makes an operator key (no partner, imports only). Operator keys are
    written through the maintenance alias: no partner's RLS scope may hold them.
    """
    if scope not in ApiKeyScope.values:
        raise ValueError(f"scope must be one of {', '.join(ApiKeyScope.values)}")
    if operator and partner is not None:
        raise ValueError("an operator key acts for no partner")
    if not operator and partner is None:
        raise ValueError("a partner key needs its partner")
    raw, key_hash = ApiKey.generate()
    with transaction.atomic(using=using):
        key = ApiKey.unscoped.using(using).create(
            partner=partner,
            is_operator=operator,
            name=name,
            prefix=raw[:12],
            key_hash=key_hash,
            scope=scope,
            created_by=created_by,
        )
    return key, raw


def create_operator_key(
    *, name: str, scope: str = ApiKeyScope.READ_WRITE, using: str = "maint"
) -> tuple[ApiKey, str]:
    """An operator key (imports only), created through the maintenance alias."""
    return create_api_key(None, name=name, scope=scope, using=using, operator=True)


def record_api_key_use(key: ApiKey) -> None:
    """Stamp last use, at most once a minute per key to spare writes on busy keys."""
    now = timezone.now()
    if key.last_used_at and now - key.last_used_at < LAST_USED_RESOLUTION:
        return
    with db_settings({"spp.api_key_hash": key.key_hash}):
        ApiKey.unscoped.filter(pk=key.pk).update(last_used_at=now)
    key.last_used_at = now


def revoke_api_key(key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
