"""Tenancy: partners, people, memberships with roles, API keys."""

from __future__ import annotations

import hashlib
import secrets
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone

from spp.tenancy import PartnerScopedManager

csn_validator = RegexValidator(
    r"^[A-Za-z0-9-]{3,20}$", "A CSN is 3 to 20 letters, digits or dashes."
)
currency_validator = RegexValidator(r"^[A-Z]{3}$", "A currency is a three-letter ISO code.")


class Partner(models.Model):
    """A reseller on the platform, known by its CSN."""

    csn = models.CharField("CSN", max_length=20, unique=True, validators=[csn_validator])
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, default="USD", validators=[currency_validator])
    token_price = models.DecimalField(
        max_digits=10,
        decimal_places=4,
        default=Decimal("3.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="Token unit price quoted to customers, in the partner's currency.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.csn})"


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person; signs in with an e-mail address. Staff users are platform operators."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name or self.email).split(" ")[0]


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    SALES_MANAGER = "sales_manager", "Sales manager"
    ACCOUNT_MANAGER = "account_manager", "Account manager"
    VIEWER = "viewer", "Viewer"


class Membership(models.Model):
    """A user's place in a partner, with the role that limits what they may change."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["partner", "user"], name="membership_unique_user")
        ]
        ordering = ["partner", "user"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.partner.csn}"


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read"
    READ_WRITE = "read-write", "Read and write"


def hash_api_key(raw: str) -> str:
    # Keys are 256 random bits, so a fast hash is safe (no dictionary to attack).
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(models.Model):
    """An integrator's key for one partner, or an operator's key for the feeds (no partner).

    Only its hash is stored. An operator key (`is_operator`, no partner) may call the
    imports endpoint and nothing else; a partner key may call everything but imports.
    """

    PREFIX = "spp_"

    partner = models.ForeignKey(
        Partner, on_delete=models.CASCADE, null=True, blank=True, related_name="api_keys"
    )
    is_operator = models.BooleanField(
        default=False, help_text="An operator key: imports only, acts for no partner."
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise a key.")
    key_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=12, choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PartnerScopedManager()
    unscoped = models.Manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # Exactly one of the two kinds: a key never acts for a partner *and* the operator.
            models.CheckConstraint(
                condition=(models.Q(is_operator=True) & models.Q(partner__isnull=True))
                | (models.Q(is_operator=False) & models.Q(partner__isnull=False)),
                name="apikey_partner_xor_operator",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == ApiKeyScope.READ_WRITE

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @classmethod
    def generate(cls) -> tuple[str, str]:
        """A new raw key and its hash. The raw key is shown once, never stored."""
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        return raw, hash_api_key(raw)
