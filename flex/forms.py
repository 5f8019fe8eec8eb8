"""Forms of the Flex pages."""

from __future__ import annotations

from django import forms

from flex import tables


class ColumnChoiceForm(forms.Form):
    """The column chooser of the Flex list (kept per user in the session)."""

    columns = forms.MultipleChoiceField(
        choices=[(key, tables.BY_KEY[key].header) for key in tables.SCREEN_KEYS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Keep at least one column."},
    )
