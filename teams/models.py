"""Customer accounts and their teams, which partners see which team, contacts,
and each partner's account-manager assignments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from spp.models import Partner
from spp.tenancy import PartnerScopedManager


class Account(models.Model):
    """A customer (end user) account, known by its Autodesk CSN; shared data."""

    csn = models.CharField("customer CSN", max_length=20, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=2, blank=True)

    objects = PartnerScopedManager("teams__links__partner")
    unscoped = models.Manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A Flex team (Autodesk team id); visible to every partner linked to it."""

    team_id = models.CharField("team id", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="teams")
    country = models.CharField(max_length=2, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerScopedManager("links__partner")
    unscoped = models.Manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.team_id})"


class TeamLink(models.Model):
    """Partner P sees team T: P sold T a pack, or the operator linked them."""

    class Source(models.TextChoices):
        SELLER = "seller", "Sold a pack"
        OPERATOR = "operator", "Linked by the operator"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="team_links")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="links")
    source = models.CharField(max_length=10, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "team"], name="teamlink_unique")]
        indexes = [models.Index(fields=["team", "partner"])]

    def __str__(self) -> str:
        return f"{self.partner_id} sees {self.team_id}"


class AccountAssignment(models.Model):
    """The partner's account manager for a customer account; its teams inherit it."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="assignments")
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "account"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.account_manager_id}"


class Contact(models.Model):
    """A person at the customer, kept by one partner, for an account or one of its teams."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    title = models.CharField("role or title", max_length=100, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["partner", "account"])]

    def __str__(self) -> str:
        return self.name
