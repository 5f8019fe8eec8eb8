"""Bootstrap rendering of Django form fields, for our forms and allauth's."""

from django import template
from django.forms import BoundField, CheckboxInput, RadioSelect, Select, SelectMultiple

register = template.Library()


@register.filter
def bs_widget(field: BoundField) -> str:
    """The field's widget with Bootstrap classes (and is-invalid when it has errors)."""
    widget = field.field.widget
    if isinstance(widget, CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, RadioSelect):
        css = ""
    elif isinstance(widget, Select | SelectMultiple):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_checkbox(field: BoundField) -> bool:
    return isinstance(field.field.widget, CheckboxInput)
