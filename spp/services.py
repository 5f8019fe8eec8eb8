"""Writes of the tenancy core."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from spp.models import ApiKey, ApiKeyScope, Partner
from spp.tenancy import db_settings

LAST_USED_RESOLUTION = timedelta(minutes=1)


def create_api_key(
    partner: Partner,
    *,
    name: str,
    scope: str = ApiKeyScope.READ,
    created_by=None,
    using: str = "default",
) -> tuple[ApiKey, str]:
    """A new key; returns it with the raw key, which is shown once and never stored."""
    if scope not in ApiKeyScope.values:
        raise ValueError(f"scope must be one of {', '.join(ApiKeyScope.values)}")
    raw, key_hash = ApiKey.generate()
    with transaction.atomic(using=using):
        key = ApiKey.unscoped.using(using).create(
            partner=partner,
            name=name,
            prefix=raw[:12],
            key_hash=key_hash,
            scope=scope,
            created_by=created_by,
        )
    return key, raw


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
