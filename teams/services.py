"""Writes of the partner's customer data: account-manager assignment, contacts.

Each runs inside the request's partner scope; RLS checks again that the account is
linked to the partner (WITH CHECK of the assignment and contact policies).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from spp.models import Membership, User
from spp.tenancy import current_partner
from teams.models import Account, AccountAssignment, Contact, Team


def assign_account_manager(account: Account, manager: User | None) -> AccountAssignment:
    """Make `manager` (a member of the partner, or nobody) the manager of the account.

    Its teams inherit the assignment: the Flex list reads it at query time.
    """
    if manager is not None and not Membership.objects.filter(user=manager).exists():
        raise ValidationError("The account manager must be a member of your organisation.")
    assignment, _ = AccountAssignment.objects.update_or_create(
        partner=current_partner(), account=account, defaults={"account_manager": manager}
    )
    return assignment


def save_contact(contact: Contact, account: Account) -> Contact:
    """Create or update a contact of the partner for this account."""
    if contact.team_id is not None and contact.team.account_id != account.pk:
        raise ValidationError("The team must belong to this customer.")
    if contact.team_id is not None and not Team.objects.filter(pk=contact.team_id).exists():
        raise ValidationError("The team must be one of your teams.")
    contact.partner = current_partner()
    contact.account = account
    contact.full_clean()
    contact.save()
    return contact


def delete_contact(contact: Contact) -> None:
    contact.delete()
