"""The form of the access-token settings page."""

from django import forms

from api.models import Scope
from api.tokens import MAX_LIFETIME_DAYS

NEVER = "never"
LIFETIMES = [
    ("7", "7 days"),
    ("30", "30 days"),
    ("90", "90 days"),
    (str(MAX_LIFETIME_DAYS), "1 year"),
    (NEVER, "No expiry"),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, help_text="What the token is for, e.g. “nightly export script”.", strip=True
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        error_messages={"required": "Choose at least one scope."},
    )
    expires_in = forms.ChoiceField(
        label="Expires", choices=LIFETIMES, initial="90", help_text="A token that expires limits a leak."
    )

    def expires_in_days(self) -> int | None:
        value = self.cleaned_data["expires_in"]
        return None if value == NEVER else int(value)
