"""Token packs, token events and the Flex snapshot (figures per partner, team, date)."""

from __future__ import annotations

from django.db import models

from spp.models import Partner
from spp.tenancy import PartnerScopedManager
from teams.models import Team


class Pack(models.Model):
    """One token purchase. Prices and the order itself are visible to the seller only."""

    class Source(models.TextChoices):
        FEED = "feed", "Autodesk feed"
        QUOTE = "quote", "Accepted SPP quote"

    order_number = models.CharField(max_length=40, unique=True)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="packs")
    seller_csn = models.CharField(max_length=20, db_index=True)
    # The registered partner with that CSN, if any (sellers need not be on the platform).
    seller_partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="packs_sold"
    )
    quantity = models.PositiveIntegerField()
    start_date = models.DateField()
    end_date = models.DateField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    discount_pct = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.FEED)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerScopedManager("seller_partner")
    unscoped = models.Manager()

    class Meta:
        ordering = ["start_date", "order_number"]
        indexes = [models.Index(fields=["team", "start_date"])]

    def __str__(self) -> str:
        return f"{self.order_number} ({self.quantity} tokens)"


class TokenEvent(models.Model):
    """A move of a pack, a merge of teams, or an adjustment of a pack's tokens."""

    class Kind(models.TextChoices):
        MOVE = "move", "Move"
        MERGE = "merge", "Merge"
        ADJUSTMENT = "adjustment", "Adjustment"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    date = models.DateField()
    pack = models.ForeignKey(
        Pack, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    from_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.IntegerField(default=0)
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerScopedManager("pack__seller_partner")
    unscoped = models.Manager()

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "date", "pack", "from_team", "to_team", "quantity", "reason"],
                name="tokenevent_unique",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.date}"


class FlexSnapshot(models.Model):
    """The SPP figures of one team for one partner as of one business date.

    Written by the recompute (maintenance role), read by the dashboard, the list,
    the export and the API as plain indexed reads. Field names are SPEC §4's.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="snapshots")
    as_of = models.DateField()

    flex_total_tokens = models.BigIntegerField()
    flex_tokens_balance = models.BigIntegerField()
    flex_tokens_consumption = models.BigIntegerField()
    flex_purchased_tokens = models.BigIntegerField()
    flex_additional_tokens = models.BigIntegerField()
    flex_start_date = models.DateField(null=True)
    flex_latest_end_date = models.DateField(null=True)
    flex_balance_rate = models.FloatField(null=True)
    flex_consumption_rate_30 = models.FloatField()
    flex_consumption_rate_180 = models.FloatField()
    flex_projected_end_date = models.DateField(null=True)

    overage_tokens = models.BigIntegerField(default=0)
    expired_unused_tokens = models.BigIntegerField(default=0)
    projected_runout_date = models.DateField(null=True)
    forecast_expiring_unused = models.BigIntegerField(default=0)
    tokens_expiring_90d = models.BigIntegerField(default=0)

    # SPEC §6: the account name when P's accepted quote has a pack in the pool, else n/a.
    customer = models.CharField(max_length=200, default="n/a")
    computed_at = models.DateTimeField(auto_now=True)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "team", "as_of"], name="snapshot_unique")
        ]
        indexes = [
            models.Index(fields=["partner", "as_of", "flex_balance_rate"]),
            models.Index(fields=["partner", "as_of", "flex_projected_end_date"]),
            models.Index(fields=["partner", "as_of", "flex_tokens_balance"]),
        ]

    def __str__(self) -> str:
        return f"{self.team_id} for partner {self.partner_id} as of {self.as_of}"


class RecomputeRun(models.Model):
    """A full recompute of every team for one business date.

    The pages show the latest date whose full run has finished: a recompute of a few
    teams (after an import or an accepted quote) for a newer date, before the nightly
    run, must not become "the latest figures" with only those teams in it.
    """

    as_of = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    teams = models.IntegerField(default=0)
    snapshots = models.IntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["as_of"])]

    def __str__(self) -> str:
        return f"recompute as of {self.as_of}"
