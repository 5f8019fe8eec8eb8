"""Forms of the quotes pages: the quote and its lines, quote actions, settings, prices."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator

from quotes import services
from quotes.models import PartnerSettings
from spp.dates import business_date
from spp.models import currency_validator


class ISODateInput(forms.DateInput):
    """YYYY-MM-DD typed as text, as on the Flex pages: no locale-dependent picker."""

    input_type = "text"

    def __init__(self, attrs: dict | None = None) -> None:
        defaults = {
            "placeholder": "YYYY-MM-DD",
            "inputmode": "numeric",
            "pattern": r"\d{4}-\d{2}-\d{2}",
            "autocomplete": "off",
        }
        super().__init__({**defaults, **(attrs or {})}, format="%Y-%m-%d")


class QuoteForm(forms.Form):
    """The quote's header. `team_id` only when the quote starts from scratch."""

    team_id = forms.CharField(
        label="Team ID",
        max_length=64,
        required=False,
        help_text="The Autodesk team id of the customer's team.",
    )
    currency = forms.ChoiceField(label="Currency")
    valid_until = forms.DateField(label="Valid until", widget=ISODateInput())
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Printed on the quote (terms, contact person, purchase-order reference).",
    )

    def __init__(self, *args, currencies: list[str], ask_team: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(c, c) for c in currencies]
        if ask_team:
            self.fields["team_id"].required = True
        else:
            del self.fields["team_id"]

    def clean_valid_until(self):
        value = self.cleaned_data["valid_until"]
        if value < business_date():
            raise ValidationError("The quote must be valid until today or later.")
        return value


class QuoteLineForm(forms.Form):
    description = forms.CharField(label="Description", max_length=200)
    tokens = forms.IntegerField(
        label="Tokens",
        min_value=1,
        max_value=10_000_000,
        widget=forms.NumberInput(attrs={"step": 100}),
    )
    unit_price = forms.DecimalField(
        label="Unit price",
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    discount_pct = forms.DecimalField(
        label="Discount %",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=5,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )

    def clean_discount_pct(self):
        return self.cleaned_data.get("discount_pct") or Decimal("0")


class BaseLineFormSet(forms.BaseFormSet):
    def lines(self) -> list[services.LineData]:
        """The kept lines (not marked for removal), in order."""
        return [
            services.LineData(
                description=form.cleaned_data["description"],
                tokens=form.cleaned_data["tokens"],
                unit_price=form.cleaned_data["unit_price"],
                discount_pct=form.cleaned_data["discount_pct"],
            )
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]


LineFormSet = forms.formset_factory(
    QuoteLineForm,
    formset=BaseLineFormSet,
    extra=0,
    can_delete=True,
    min_num=1,
    validate_min=True,
    max_num=50,
    validate_max=True,
)


def decimal_text(value: Decimal, places: int = 2) -> str:
    """3.0000 → "3.00", 2.8549 → "2.8549", 7.50 → "7.5" for a discount (places=0)."""
    value = Decimal(value)
    shown = value.quantize(Decimal(1).scaleb(-places)) if places else value
    if shown == value:
        return f"{shown:.{places}f}" if places else f"{value.normalize():f}"
    return f"{value.normalize():f}"


def line_initial(lines: list[services.LineData]) -> list[dict]:
    return [
        {
            "description": line.description,
            "tokens": line.tokens,
            "unit_price": decimal_text(line.unit_price),
            "discount_pct": decimal_text(line.discount_pct, 0),
        }
        for line in lines
    ]


class AcceptForm(forms.Form):
    order_date = forms.DateField(
        label="Order date",
        widget=ISODateInput(),
        help_text="The pack starts on this day and ends the day before its anniversary.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "e.g. price, budget frozen, went direct"}),
    )


class PartnerSettingsForm(forms.ModelForm):
    class Meta:
        model = PartnerSettings
        fields = [
            "lead_balance_pct",
            "lead_days",
            "quote_validity_days",
            "alert_lt20",
            "alert_20to30",
            "alert_expiring",
            "alert_projected_end",
            "alert_onboarding",
            "email_alerts",
            "weekly_digest",
        ]
        labels = {
            "lead_balance_pct": "Balance at most (%)",
            "lead_days": "Projected end within (days)",
            "quote_validity_days": "Quotes valid for (days)",
            "alert_lt20": "A team enters FLEX BALANCE < 20%",
            "alert_20to30": "A team enters FLEX BALANCE 30-20%",
            "alert_expiring": "Tokens expire within 90 days",
            "alert_projected_end": "A projected end is 30 days away",
            "alert_onboarding": "A team has not started 30 days after its purchase",
            "email_alerts": "Also send each alert by e-mail",
            "weekly_digest": "Weekly digest of open leads (Monday morning)",
        }
        help_texts = {
            "lead_balance_pct": "Default 30. A lead opens when the balance is at or below it…",
            "lead_days": "…or when the projected end is this close (default 90).",
            "quote_validity_days": "The default validity of a new quote.",
        }


class CurrencyField(forms.CharField):
    """A three-letter ISO code; "usd" is taken as "USD"."""

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class PriceRowForm(forms.Form):
    currency = CurrencyField(
        label="Currency",
        max_length=3,
        validators=[currency_validator],
        widget=forms.TextInput(attrs={"class": "text-uppercase", "size": 4}),
    )
    unit_price = forms.DecimalField(
        label="Unit price",
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0.0001"))],
        widget=forms.NumberInput(attrs={"step": "0.01", "class": "text-end"}),
    )
    valid_from = forms.DateField(label="Valid from", widget=ISODateInput())
    valid_to = forms.DateField(label="Valid to", required=False, widget=ISODateInput())

    def clean(self):
        data = super().clean()
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", "The price ends before it starts.")
        return data


class BasePriceFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        """The kept rows: existing ones not removed, and new ones filled in."""
        rows = []
        for index, form in enumerate(self.forms):
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            if index >= self.initial_form_count() and not form.has_changed():
                continue
            rows.append(
                {name: data[name] for name in ("currency", "unit_price", "valid_from", "valid_to")}
            )
        return rows

    def clean(self) -> None:
        if any(self.errors):
            return
        try:
            services.check_price_lists(self.rows())
        except ValidationError as error:
            raise ValidationError(error.messages) from None


PriceFormSet = forms.formset_factory(
    PriceRowForm, formset=BasePriceFormSet, extra=1, can_delete=True, max_num=100, validate_max=True
)


def price_initial(rows, first_currency: str = "") -> list[dict]:
    """The stored rows, the partner's own currency first, each by start date."""
    rows = sorted(rows, key=lambda r: (r.currency != first_currency, r.currency, r.valid_from))
    return [
        {
            "currency": row.currency,
            "unit_price": decimal_text(row.unit_price),
            "valid_from": row.valid_from,
            "valid_to": row.valid_to,
        }
        for row in rows
    ]
