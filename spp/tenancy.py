"""The scoping core: which partner the current code acts for.

Two locks (ARCHITECTURE.md): the application lock is the context variable read by
PartnerScopedManager, which refuses to run without a partner; the database lock is
`spp.partner_id`, set with set_config(..., true) inside the current transaction so
that a pooled connection can never carry it to the next request.

`partner_scope(partner)` sets both, for views (spp.views.PartnerScopedMixin and
spp.api_auth.PartnerScopedAPIMixin), tasks and commands alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.db import connections, models, transaction

if TYPE_CHECKING:
    from spp.models import Partner


class NoPartnerError(RuntimeError):
    """Partner-owned data was queried outside partner_scope()."""


_current_partner: ContextVar[Partner | None] = ContextVar("spp_current_partner", default=None)
_operator: ContextVar[bool] = ContextVar("spp_operator", default=False)


def current_partner() -> Partner:
    partner = _current_partner.get()
    if partner is None:
        raise NoPartnerError(
            "no current partner: wrap the code in spp.tenancy.partner_scope(partner), "
            "or use Model.unscoped on the 'maint' alias for operator work"
        )
    return partner


def current_partner_or_none() -> Partner | None:
    return _current_partner.get()


def set_db_setting(name: str, value: str, using: str = "default") -> None:
    """Transaction-local setting (the third argument `true` of set_config)."""
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


@contextmanager
def db_settings(values: dict[str, str], using: str = "default") -> Iterator[None]:
    """Set transaction-local settings for the block, inside a transaction, and clear them."""
    with transaction.atomic(using=using, savepoint=False):
        for name, value in values.items():
            set_db_setting(name, value, using)
        try:
            yield
        finally:
            # When the block failed, the transaction rolls back and takes the
            # settings with it; a query now would only raise.
            if not connections[using].needs_rollback:
                for name in values:
                    set_db_setting(name, "", using)


@contextmanager
def partner_scope(
    partner: Partner, using: str = "default", user_id: int | None = None
) -> Iterator[Partner]:
    """Act for `partner` in the block: application scope and PostgreSQL RLS scope."""
    token = _current_partner.set(partner)
    settings = {"spp.partner_id": str(partner.pk)}
    if user_id is not None:
        settings["spp.user_id"] = str(user_id)
    try:
        with db_settings(settings, using):
            yield partner
    finally:
        _current_partner.reset(token)


@contextmanager
def operator_scope() -> Iterator[None]:
    """Operator work across partners (Django admin): scoped managers return every row,
    and spp.routers.OperatorRouter sends every query through the maintenance alias,
    whose role bypasses RLS. Entered deliberately, never by a partner's request."""
    token = _operator.set(True)
    try:
        yield
    finally:
        _operator.reset(token)


def in_operator_scope() -> bool:
    return _operator.get()


class PartnerScopedManager(models.Manager):
    """`objects` of partner-owned models: only the current partner's rows.

    `partner_field` names the owning field (packs are owned by their seller;
    shared team data by a link: "links__partner"). Operator code (imports,
    recompute, admin) uses `Model.unscoped` on the 'maint' alias deliberately.
    """

    def __init__(self, partner_field: str = "partner") -> None:
        super().__init__()
        self.partner_field = partner_field

    def get_queryset(self) -> models.QuerySet:
        if _operator.get():
            return super().get_queryset()
        return super().get_queryset().filter(**{self.partner_field: current_partner()})

    def none(self) -> models.QuerySet:
        # An empty queryset reveals nothing; schema tools ask for one with no partner.
        return super().get_queryset().none()
