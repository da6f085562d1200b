"""The report schedule form: name, when, to whom."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from notifications.models import MAX_REPORT_RECIPIENTS, ReportFrequency, Weekday, normalise_addresses

SEPARATORS = re.compile(r"[\s,;]+")


class ReportScheduleForm(forms.Form):
    name = forms.CharField(max_length=200, initial="Weekly report")
    frequency = forms.ChoiceField(choices=ReportFrequency.choices, initial=ReportFrequency.WEEKLY)
    weekday = forms.TypedChoiceField(
        label="Day (weekly)", choices=Weekday.choices, coerce=int, initial=0,
        help_text="A weekly report covers the last full week, Monday to Sunday.",
    )  # fmt: skip
    day_of_month = forms.IntegerField(
        label="Day of the month (monthly)", min_value=1, max_value=28, initial=1,
        help_text="1 to 28, so that it exists in every month. A monthly report covers the last full month.",
    )  # fmt: skip
    hour = forms.IntegerField(
        label="Hour", min_value=0, max_value=23, initial=8,
        help_text="In the project's time zone (its schedule's, else yours).",
    )  # fmt: skip
    recipients = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "ana@example.com\nbo@example.com"}),
        help_text=f"Email addresses, one a line (or separated by commas); no account needed. At most "
        f"{MAX_REPORT_RECIPIENTS}. Each mail carries its own unsubscribe link.",
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")

    def __init__(self, *args, schedule=None, **kwargs):
        if schedule is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": schedule.name,
                    "frequency": schedule.frequency,
                    "weekday": schedule.weekday,
                    "day_of_month": schedule.day_of_month,
                    "hour": schedule.hour,
                    "recipients": "\n".join(schedule.recipients),
                    "enabled": schedule.enabled,
                },
            )
        super().__init__(*args, **kwargs)

    def clean_recipients(self) -> list[str]:
        addresses = normalise_addresses(SEPARATORS.split(self.cleaned_data["recipients"]))
        bad = []
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                bad.append(address)
        if bad:
            raise ValidationError(f"Not a valid email address: {', '.join(bad)}.")
        return addresses

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)
