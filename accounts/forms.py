from collections.abc import Callable
from zoneinfo import available_timezones

from django import forms
from django.core.exceptions import ValidationError

from accounts import vault
from accounts.models import BASE_URL_PROVIDERS, AlertEmail, DashboardLayout, Provider, User

TIMEZONE_CHOICES = [(tz, tz.replace("_", " ")) for tz in sorted(available_timezones())]
DEFAULT_PRESET_CHOICES = [("standard", "Standard")]


# The presets a user may choose as the default for new projects are the projects app's: it
# provides them when it is ready (accounts sits below projects and cannot ask it).
def _no_presets(user: User) -> list[tuple[str, str]]:
    return []


_preset_choices: Callable[[User], list[tuple[str, str]]] = _no_presets


def provide_preset_choices(source: Callable[[User], list[tuple[str, str]]]) -> None:
    """Set where :func:`preset_choices` comes from (``projects.presets.preset_choices``)."""
    global _preset_choices  # noqa: PLW0603 - set once, when the projects app is ready
    _preset_choices = source


def preset_choices(user: User) -> list[tuple[str, str]]:
    """``(key, label)`` pairs of the presets ``user`` may propose for new projects."""
    return _preset_choices(user)


class ProfileForm(forms.ModelForm):
    """Profile fields and the embedded ``settings`` of the schema, in one form."""

    timezone = forms.ChoiceField(choices=TIMEZONE_CHOICES, help_text="Dates are shown in this time zone.")
    email_notifications = forms.BooleanField(required=False, help_text="Job failures and disabled webhooks.")
    weekly_digest = forms.BooleanField(required=False, help_text="A summary of your projects every Monday.")
    alert_email = forms.ChoiceField(
        label="Alert emails",
        choices=AlertEmail.choices,
        help_text="For alert rules that email you: each alert as it happens, or one digest a day.",
    )
    default_preset = forms.ChoiceField(choices=(), help_text="Preset proposed for new projects.")
    results_per_page = forms.IntegerField(min_value=5, max_value=200)
    dashboard_layout = forms.ChoiceField(choices=DashboardLayout.choices, widget=forms.RadioSelect)

    SETTINGS_FIELDS = (
        "timezone",
        "email_notifications",
        "weekly_digest",
        "alert_email",
        "default_preset",
        "results_per_page",
        "dashboard_layout",
    )

    class Meta:
        model = User
        fields = ["name", "company", "avatar_url"]
        labels = {"avatar_url": "Avatar URL"}

    def __init__(self, *args, preset_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_preset"].choices = list(preset_choices) or DEFAULT_PRESET_CHOICES
        for name in self.SETTINGS_FIELDS:
            self.fields[name].initial = getattr(self.instance.settings, name)

    def clean_avatar_url(self):
        url = self.cleaned_data["avatar_url"]
        if url and not url.startswith("https://"):
            raise forms.ValidationError("Use an https:// address so the image loads on secure pages.")
        return url

    def save(self, commit=True):
        user = super().save(commit=False)
        for name in self.SETTINGS_FIELDS:
            setattr(user.settings, name, self.cleaned_data[name])
        if commit:
            user.save()
        return user


class ApiKeyForm(forms.Form):
    """A new vault entry; the plaintext never comes back to a page once saved."""

    name = forms.CharField(max_length=100, help_text="Something to recognise it by, e.g. “Team OpenAI”.")
    provider = forms.ChoiceField(choices=Provider.choices)
    key = forms.CharField(
        label="API key",
        strip=True,
        max_length=4096,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=(
            "For Reddit enter “client_id:client_secret” of a script app; for Bluesky "
            "“handle:app-password” (an app password, not the account's own)."
        ),
    )
    base_url = forms.URLField(
        required=False,
        label="Base URL",
        assume_scheme="https",
        help_text=(
            "Only for OpenAI-compatible endpoints and Ollama, e.g. https://llm.example.com/v1. "
            "Addresses on a private network (a self-hosted model) work where the operator allows them."
        ),
    )

    def clean(self):
        data = super().clean()
        provider, base_url = data.get("provider"), data.get("base_url")
        if provider == Provider.OPENAI_COMPATIBLE and not base_url:
            self.add_error("base_url", "An OpenAI-compatible key needs the endpoint's base URL.")
        if base_url and provider not in BASE_URL_PROVIDERS:
            self.add_error("base_url", "Only OpenAI-compatible and Ollama keys take a base URL.")
        elif base_url:
            try:
                vault.check_base_url(base_url)
            except ValidationError as exc:
                self.add_error("base_url", exc)
        if provider == Provider.REDDIT and ":" not in data.get("key", ""):
            self.add_error("key", "Enter the Reddit app as client_id:client_secret.")
        if provider == Provider.BLUESKY and ":" not in data.get("key", ""):
            self.add_error("key", "Enter the Bluesky account as handle:app-password.")
        return data


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Enter your password to confirm. This removes every project, result and key you own.",
    )
    confirm = forms.BooleanField(label="I understand this cannot be undone")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
