"""Token Balance (refill leads, SPEC §7), price lists and settings, quotes (§8), alerts.

Every table is owned by one partner (`partner` column, RLS policy in migration 0002).
Leads are written by the recompute (maintenance alias, quotes.services.sync_leads);
quotes by partner users through the request alias, under RLS.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from spp.models import Partner, currency_validator
from spp.tenancy import PartnerScopedManager
from teams.models import Team

MONEY = {"max_digits": 14, "decimal_places": 2}
PRICE = {"max_digits": 12, "decimal_places": 4}


class PartnerSettings(models.Model):
    """A partner's lead thresholds, quote defaults and notification preferences."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="quote_settings")
    lead_balance_pct = models.DecimalField(
        "lead when the balance is at most (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("30"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    lead_days = models.PositiveIntegerField(
        "lead when the projected end is within (days)",
        default=90,
        validators=[MinValueValidator(1), MaxValueValidator(730)],
    )
    quote_validity_days = models.PositiveIntegerField(
        "quotes valid for (days)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    alert_lt20 = models.BooleanField("a team enters FLEX BALANCE < 20%", default=True)
    alert_20to30 = models.BooleanField("a team enters FLEX BALANCE 30-20%", default=True)
    alert_expiring = models.BooleanField("tokens expire within 90 days", default=True)
    alert_projected_end = models.BooleanField("a projected end is 30 days away", default=True)
    alert_onboarding = models.BooleanField(
        "a team has not started 30 days after its purchase", default=True
    )
    email_alerts = models.BooleanField("also send alerts by e-mail", default=True)
    weekly_digest = models.BooleanField("weekly digest of open leads (Monday)", default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        verbose_name = "partner settings"
        verbose_name_plural = "partner settings"

    def __str__(self) -> str:
        return f"settings of {self.partner_id}"

    @property
    def balance_threshold(self) -> float:
        """The lead threshold as a fraction (SPEC §4 balance rates are fractions)."""
        return float(self.lead_balance_pct) / 100


class PriceList(models.Model):
    """The partner's token unit price in one currency over a validity period."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    currency = models.CharField(max_length=3, validators=[currency_validator])
    unit_price = models.DecimalField(**PRICE, validators=[MinValueValidator(Decimal("0.0001"))])
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True, help_text="Empty: until further notice.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["currency", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "currency", "valid_from"], name="pricelist_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="pricelist_valid_range",
            ),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="pricelist_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.unit_price} from {self.valid_from}"


class NumberSequence(models.Model):
    """A per-partner counter (lead numbers, quote numbers per year), locked while used."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=30)
    last = models.PositiveIntegerField(default=0)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "name"], name="numbersequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.last}"


class LeadStatus(models.TextChoices):
    OPEN = "open", "Open"
    QUOTED = "quoted", "Quoted"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    CLOSED = "closed", "Closed"


ACTIVE_LEAD_STATUSES = (LeadStatus.OPEN, LeadStatus.QUOTED)


class Lead(models.Model):
    """A refill lead: one linked team that needs tokens (SPEC §7).

    The figures are copied from the partner's snapshot each time the recompute updates
    an active lead; a final lead (won, lost, closed) keeps the figures it ended with.
    """

    Status = LeadStatus

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="leads")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=LeadStatus.choices, default=LeadStatus.OPEN)

    figures_as_of = models.DateField()
    projected_end = models.DateField(null=True, blank=True)
    balance_rate = models.FloatField(null=True, blank=True)
    total_tokens = models.BigIntegerField(default=0)
    balance_tokens = models.BigIntegerField(default=0)
    rate_30 = models.FloatField(default=0)
    rate_180 = models.FloatField(default=0)
    annual_quantity = models.PositiveIntegerField(default=0)
    unit_price = models.DecimalField(**PRICE, default=Decimal("0"))
    value = models.DecimalField(**MONEY, default=Decimal("0"))
    currency = models.CharField(max_length=3)

    opened_on = models.DateField()
    closed_on = models.DateField(null=True, blank=True)
    lost_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "number"], name="lead_unique_number"),
            # One lead per team at a time: at most one active lead per partner and team.
            models.UniqueConstraint(
                fields=["partner", "team"],
                condition=Q(status__in=["open", "quoted"]),
                name="lead_one_active_per_team",
            ),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "projected_end"]),
            models.Index(fields=["partner", "team"]),
        ]

    def __str__(self) -> str:
        return f"Lead {self.number}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_LEAD_STATUSES


class LeadEvent(models.Model):
    """One line of a lead's history: a status change, with who and why."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    on = models.DateField(help_text="The business date of the change.")
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10, choices=LeadStatus.choices)
    note = models.CharField(max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quote = models.ForeignKey(
        "Quote", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["lead", "at"])]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"


class Quote(models.Model):
    """A refill quote to a customer team (SPEC §8). Totals are kept with the quote."""

    Status = QuoteStatus

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    number = models.CharField(max_length=20)
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="quotes"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3, validators=[currency_validator])
    valid_until = models.DateField()
    notes = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)

    total_tokens = models.PositiveIntegerField(default=0)
    total_gross = models.DecimalField(**MONEY, default=Decimal("0"))
    total_net = models.DecimalField(**MONEY, default=Decimal("0"))

    created_on = models.DateField(help_text="The business date the quote was drafted.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Business dates (SPEC §2) of the steps, shown on the pages; the *_at timestamps
    # beside them are the audit trail in real time.
    sent_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(
        null=True, blank=True, help_text="The business date it was accepted, declined or expired."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    order_date = models.DateField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    declined_reason = models.CharField(max_length=300, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)
    pack = models.OneToOneField(
        "flex.Pack", null=True, blank=True, on_delete=models.PROTECT, related_name="quote"
    )

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "number"], name="quote_unique_number"),
        ]
        indexes = [
            models.Index(fields=["partner", "status", "valid_until"]),
            models.Index(fields=["partner", "team"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_editable(self) -> bool:
        return self.status == QuoteStatus.DRAFT


class QuoteLine(models.Model):
    """Tokens at a unit price with a discount; the net amount is rounded to the cent."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=1)
    description = models.CharField(max_length=200)
    tokens = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(**PRICE, validators=[MinValueValidator(Decimal("0"))])
    discount_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.tokens} × {self.unit_price}"


class NotificationKind(models.TextChoices):
    LT20 = "lt20", "Entered FLEX BALANCE < 20%"
    WATCH = "20to30", "Entered FLEX BALANCE 30-20%"
    EXPIRING = "expiring", "Tokens expire within 90 days"
    PROJECTED_END = "projected_end", "Projected end in 30 days"
    ONBOARDING = "onboarding", "Not started 30 days after purchase"


class Notification(models.Model):
    """An alert for one account manager about one team. The unique key is the event:
    the same alert for the same event can never be raised twice."""

    Kind = NotificationKind

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    event_date = models.DateField()
    message = models.CharField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "user", "kind", "team", "event_date"],
                name="notification_one_per_event",
            )
        ]
        indexes = [models.Index(fields=["partner", "user", "read_at"])]

    def __str__(self) -> str:
        return self.message
