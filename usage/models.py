"""The product catalog, raw usage rows and their daily roll-ups."""

from __future__ import annotations

from django.db import models

from teams.models import Team


class Product(models.Model):
    """A Flex product (global catalog data, public figures)."""

    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProductAlias(models.Model):
    """Another name a feed uses for a product (e.g. "Autodesk AutoCAD 2026")."""

    alias = models.CharField(max_length=160, unique=True)
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="aliases")

    def __str__(self) -> str:
        return self.alias


class ProductRate(models.Model):
    """Daily token rate of a product from a date on; the latest one not after a day applies."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="rates")
    effective_from = models.DateField()
    tokens_per_day = models.DecimalField(max_digits=8, decimal_places=2)
    named_user_price = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)

    class Meta:
        ordering = ["product", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["product", "effective_from"], name="rate_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.product_id}: {self.tokens_per_day}/day from {self.effective_from}"


class UsageRow(models.Model):
    """One line of Autodesk's token-usage report, user pseudonymised on import."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=40, blank=True)
    user_key = models.CharField(max_length=64, help_text="HMAC of the user's e-mail or id")
    feature = models.CharField(max_length=120, blank=True)
    tokens = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["team", "day"])]

    def __str__(self) -> str:
        return f"{self.team_id} {self.day} {self.tokens}"


class UsageDaily(models.Model):
    """Tokens a team used on a day, with the running total since its first day."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    tokens = models.BigIntegerField()
    cum_tokens = models.BigIntegerField(help_text="Σ tokens of this team on days ≤ day")
    users = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "day"], name="usagedaily_unique")]

    def __str__(self) -> str:
        return f"{self.team_id} {self.day} {self.tokens}"


class UsageDailyProduct(models.Model):
    """Tokens and distinct users of a team on a day for one product."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    tokens = models.BigIntegerField()
    users = models.IntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "day", "product"], name="usagedailyproduct_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.day} {self.product_id} {self.tokens}"


class UsageMonthlyProduct(models.Model):
    """Tokens and days used of a team in a calendar month for one product.

    The roll-up behind the portfolio (SPEC §9), which sums every team of a partner: a year
    is 12 × teams × products rows instead of a row per team, day and product. `days` is a
    bit mask as in UsageMonthlyUser (bit d−1 set when the product was used on day d), so a
    team's days used count once across products (bit_or, then bit_count). Rebuilt by the
    usage import, from UsageDailyProduct, for every (team, month) whose days it writes; a
    month cut by a range is read from the daily roll-ups instead.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    tokens = models.BigIntegerField()
    days = models.IntegerField(help_text="Bit d−1 set when used on day d of the month")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "month", "product"], name="usagemonthlyproduct_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.month:%Y-%m} {self.product_id} {self.tokens}"


class ImportBatch(models.Model):
    """One successful operator import of a feed file (SPEC §12), for the audit trail."""

    kind = models.CharField(max_length=20)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    rows = models.IntegerField(help_text="Data rows in the file")
    summary = models.JSONField(default=dict, help_text="Counts and notes of the import report")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "spp.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("upload_feed", "Can upload a data feed")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"


class UsageMonthlyUser(models.Model):
    """Tokens and days used per team, calendar month, product, version, feature and user.

    The roll-up behind per-user, per-version and per-feature reporting (SPEC §9): a year of
    a 50-user team is 12 × users × products rows instead of a row per user and day. `days`
    is a bit mask (bit d−1 set when the user used the product on day d of the month), so
    that days used can be counted for any range and across products without double
    counting (bit_or, then bit_count). Rebuilt by the usage import for every (team, month)
    whose days it writes; a month cut by a range is read from UsageRow instead.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=40, blank=True)
    feature = models.CharField(max_length=120, blank=True)
    user_key = models.CharField(max_length=64)
    tokens = models.BigIntegerField()
    days = models.IntegerField(help_text="Bit d−1 set when used on day d of the month")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "month", "product", "version", "feature", "user_key"],
                name="usagemonthlyuser_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.month:%Y-%m} {self.product_id} {self.tokens}"


class SessionLog(models.Model):
    """One application session from a customer's session logs (SPEC §11, §12 `sessions`).

    The user and the machine are pseudonyms (keyed hashes, usage.imports.pseudonym): a
    machine name is often a person's name. A session is identified by (team, user, product,
    version, machine, start): re-importing the same log changes nothing.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    user_key = models.CharField(max_length=64, help_text="HMAC of the user's e-mail or id")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=40, blank=True)
    machine_key = models.CharField(max_length=64, help_text="HMAC of the machine name")
    start = models.DateTimeField()
    end = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user_key", "product", "version", "machine_key", "start"],
                name="sessionlog_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="sessionlog_end_after_start"
            ),
        ]
        indexes = [models.Index(fields=["team", "start"])]

    def __str__(self) -> str:
        return f"{self.team_id} {self.product_id} {self.start:%Y-%m-%d %H:%M}"


class NamedUserSubscription(models.Model):
    """A named-user seat of one user for one product (SPEC §12 `subscriptions`): while it
    runs, Flex must charge that user nothing for that product (SPEC §11)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    user_key = models.CharField(max_length=64, help_text="HMAC of the user's e-mail or id")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField()
    end_date = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "user_key", "product", "start_date"],
                name="namedusersubscription_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="namedusersubscription_dates",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id} {self.product_id} {self.start_date} – {self.end_date}"
