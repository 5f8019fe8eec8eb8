"""Inside spp.tenancy.operator_scope() every query goes through the maintenance alias."""

from spp.tenancy import in_operator_scope

MAINT = "maint"


class OperatorRouter:
    def db_for_read(self, model, **hints) -> str | None:
        return MAINT if in_operator_scope() else None

    def db_for_write(self, model, **hints) -> str | None:
        return MAINT if in_operator_scope() else None
