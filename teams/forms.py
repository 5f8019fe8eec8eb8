"""Forms of the customer pages."""

from __future__ import annotations

from django import forms

from spp.models import Membership
from teams.models import Account, Contact, Team


class AssignManagerForm(forms.Form):
    manager = forms.TypedChoiceField(
        label="Account manager",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="The customer's teams inherit the account manager.",
    )

    def __init__(self, *args, members: list[Membership], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.members = {m.user_id: m.user for m in members}
        self.fields["manager"].choices = [("", "Unassigned")] + [
            (m.user_id, f"{m.user.full_name or m.user.email} · {m.get_role_display()}")
            for m in members
        ]

    def manager_user(self):
        value = self.cleaned_data.get("manager")
        return self.members.get(value) if value else None


class ContactForm(forms.ModelForm):
    # Declared: the model field's default queryset would need a partner at import time.
    team = forms.ModelChoiceField(queryset=Team.unscoped.none(), required=False)

    class Meta:
        model = Contact
        fields = ["name", "title", "email", "phone", "team", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, account: Account, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        team = self.fields["team"]
        team.queryset = Team.objects.filter(account=account).order_by("name")
        team.empty_label = "The whole customer"
        team.help_text = "Optional: the team this person looks after."
