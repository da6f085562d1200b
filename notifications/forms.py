"""The webhook form: URL, label, events, enabled, and what to do with the signing secret."""

from django import forms
from django.core.exceptions import ValidationError

from notifications import services, signing
from notifications.models import WebhookEvent
from notifications.services import SecretMode

EVENT_HELP = {
    WebhookEvent.JOB_COMPLETED: "a job finished and at least one target succeeded",
    WebhookEvent.JOB_FAILED: "every target of a job failed",
    WebhookEvent.RESULTS_NEW: "a job stored new results",
    WebhookEvent.ALERT_TRIGGERED: "an alert rule of a project fired",
}


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=2048,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/hooks/sentimatrix"}),
        help_text="An https address on the public internet. Redirects are not followed.",
    )
    label = forms.CharField(max_length=100, required=False, help_text="A name to recognise it by.")
    events = forms.MultipleChoiceField(
        choices=[(event.value, f"{event.value} — {EVENT_HELP[event]}") for event in services.SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")
    secret_mode = forms.ChoiceField(
        label="Signing secret",
        widget=forms.RadioSelect,
        help_text="Deliveries are signed the Standard Webhooks way (webhook-signature header).",
    )
    custom_secret = forms.CharField(
        label="Your secret",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=f"Only with “use my own secret”: {signing.SECRET_PREFIX} followed by base64 of 24 to 64 bytes.",
    )

    def __init__(self, *args, webhook=None, **kwargs):
        self.webhook = webhook
        if webhook is not None:
            kwargs.setdefault(
                "initial",
                {
                    "url": webhook.url,
                    "label": webhook.label,
                    "events": webhook.events,
                    "enabled": webhook.enabled,
                },
            )
        super().__init__(*args, **kwargs)
        choices = [
            (SecretMode.GENERATE, "Generate a new secret (shown once)"),
            (SecretMode.CUSTOM, "Use my own secret"),
            (SecretMode.NONE, "No secret: send unsigned deliveries"),
        ]
        if webhook is not None:
            current = (
                "Keep the current secret" if webhook.secret_encrypted else "Keep sending unsigned deliveries"
            )
            choices.insert(0, (SecretMode.KEEP, current))
        self.fields["secret_mode"].choices = choices
        self.fields["secret_mode"].initial = choices[0][0]

    def clean_url(self):
        return services.validate_url(self.cleaned_data["url"])

    def clean(self):
        data = super().clean()
        if data.get("secret_mode") == SecretMode.CUSTOM:
            try:
                signing.secret_key(data.get("custom_secret") or "")
            except signing.InvalidSecret as exc:
                self.add_error("custom_secret", ValidationError(str(exc)))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "url": data["url"],
            "label": data.get("label", ""),
            "events": data["events"],
            "enabled": data.get("enabled", False),
            "secret_mode": data["secret_mode"],
            "custom_secret": data.get("custom_secret", ""),
        }
