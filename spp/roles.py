"""What each membership role may change. Reading is open to every member."""

from __future__ import annotations

from enum import StrEnum

from spp.models import Role


class Perm(StrEnum):
    MANAGE_PARTNER = "manage_partner"  # settings, price lists, members, API keys
    ASSIGN_ACCOUNTS = "assign_accounts"  # set the account manager of a customer
    EDIT_CONTACTS = "edit_contacts"
    EDIT_QUOTES = "edit_quotes"  # draft and edit quotes
    SEND_QUOTES = "send_quotes"  # send, accept, decline
    EXPORT = "export"


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.SALES_MANAGER: frozenset(
        {Perm.ASSIGN_ACCOUNTS, Perm.EDIT_CONTACTS, Perm.EDIT_QUOTES, Perm.SEND_QUOTES, Perm.EXPORT}
    ),
    Role.ACCOUNT_MANAGER: frozenset(
        {Perm.EDIT_CONTACTS, Perm.EDIT_QUOTES, Perm.SEND_QUOTES, Perm.EXPORT}
    ),
    Role.VIEWER: frozenset({Perm.EXPORT}),
}


def role_allows(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
