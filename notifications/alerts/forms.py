"""The alert-rule form: what to watch, where, and how loudly. The rule pages and the API both
validate through it, so a rule is refused the same way wherever it comes from."""

from __future__ import annotations

from bson import ObjectId
from django import forms
from django.core.exceptions import ValidationError

from analysis.results_store.search import parse_query
from notifications import services as webhook_services
from notifications.alerts import rules
from notifications.alerts.detection import DEFAULT_COOLDOWN_HOURS, DEFAULT_MIN_COUNT, DEFAULT_SIGNIFICANCE
from notifications.models import (
    HOURLY_KINDS,
    HOURLY_KINDS_ONLY,
    SIGNIFICANCE_MAX,
    SIGNIFICANCE_MIN,
    AlertKind,
    AlertPeriod,
    AlertRule,
)
from projects.models import Project, Target
from projects.platforms import RESULT_PLATFORMS

# The test's level in words; the rule stores the number.
SIGNIFICANCE_CHOICES = [
    ("0.001", "Strict: about 1 false alarm in 1,000 quiet windows"),
    ("0.01", "Normal: about 1 in 100"),
    ("0.05", "Sensitive: about 1 in 20"),
]
MAX_CHAT_WEBHOOKS = 5
MAX_COOLDOWN_HOURS = 24 * 30
MAX_MIN_COUNT = 1_000_000

KIND_HELP = {
    AlertKind.VOLUME_SPIKE: "more results than usual",
    AlertKind.NEGATIVE_SHARE: "a larger share of negative results than usual",
    AlertKind.SENTIMENT_DROP: "the average sentiment falls",
    AlertKind.RATING_DROP: "the average rating falls",
    AlertKind.KEYWORD: "results that match a search",
    AlertKind.TOPIC: "a topic appears or grows suddenly",
}


class AlertRuleForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="Shown on each alert, e.g. “Refund complaints”.")
    kind = forms.ChoiceField(
        label="Alert me when",
        choices=[(kind.value, f"{kind.label}: {KIND_HELP[kind]}") for kind in AlertKind],
    )
    period = forms.ChoiceField(
        choices=AlertPeriod.choices,
        initial=AlertPeriod.DAY,
        help_text="The window compared with the project's usual level. Hours: volume spikes only.",
    )
    target_ids = forms.MultipleChoiceField(
        label="Targets",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: every target of the project.",
    )
    platforms = forms.MultipleChoiceField(
        choices=RESULT_PLATFORMS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: every platform.",
    )
    query = forms.CharField(
        label="Search",
        max_length=500,
        required=False,
        help_text='Keyword rules: the explorer\'s search, e.g. refund "money back" -shipping.',
    )
    only_negative = forms.BooleanField(
        required=False, label="Only negative results", help_text="Keyword rules: ignore neutral and positive."
    )
    min_count = forms.IntegerField(
        label="Minimum count",
        min_value=1,
        max_value=MAX_MIN_COUNT,
        initial=DEFAULT_MIN_COUNT,
        help_text="A window with fewer results than this never alerts.",
    )
    significance = forms.FloatField(
        label="Sensitivity",
        min_value=SIGNIFICANCE_MIN,
        max_value=SIGNIFICANCE_MAX,
        initial=DEFAULT_SIGNIFICANCE,
        widget=forms.Select(choices=SIGNIFICANCE_CHOICES),
        help_text="How unusual a window must be to alert (the test's significance level).",
    )
    cooldown_hours = forms.IntegerField(
        label="Cooldown (hours)",
        min_value=0,
        max_value=MAX_COOLDOWN_HOURS,
        initial=DEFAULT_COOLDOWN_HOURS,
        help_text="After an alert, the rule stays quiet this long.",
    )
    email = forms.BooleanField(
        required=False,
        initial=True,
        label="Email me",
        help_text="As your settings say: each alert or a digest.",
    )
    chat_webhook_urls = forms.CharField(
        label="Chat webhooks",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "https://hooks.slack.com/services/…"}),
        help_text=f"Slack, Discord or Teams incoming-webhook URLs, one per line (at most {MAX_CHAT_WEBHOOKS}).",
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")

    def __init__(self, *args, project: Project, rule: AlertRule | None = None, **kwargs):
        self.project, self.rule = project, rule
        if rule is not None:
            kwargs.setdefault("initial", initial_of(rule))
        super().__init__(*args, **kwargs)
        targets = Target.objects.filter(project_id=project.pk).order_by("created_at", "pk")
        self.fields["target_ids"].choices = [(str(t.pk), str(t)) for t in targets]
        if not self.fields["target_ids"].choices:
            self.fields[
                "target_ids"
            ].help_text = "The project has no targets yet: the rule watches all of it."
        # A level set through the API that is none of the three words stays choosable.
        current = str(self["significance"].value() or "")
        presets = [value for value, _ in SIGNIFICANCE_CHOICES]
        if current and current not in presets:
            self.fields["significance"].widget.choices = [
                *SIGNIFICANCE_CHOICES,
                (current, f"Custom: {current}"),
            ]

    def clean_query(self):
        return " ".join(self.cleaned_data["query"].split())

    def clean_chat_webhook_urls(self):
        lines = [line.strip() for line in self.cleaned_data["chat_webhook_urls"].splitlines()]
        urls = list(dict.fromkeys(line for line in lines if line))
        if len(urls) > MAX_CHAT_WEBHOOKS:
            raise ValidationError(f"Give at most {MAX_CHAT_WEBHOOKS} chat webhooks.")
        problems = []
        for url in urls:
            try:
                webhook_services.validate_url(url)
            except ValidationError as exc:
                problems.append(f"{url}: {' '.join(exc.messages)}")
        if problems:
            raise ValidationError(problems)
        return urls

    def clean(self):
        data = super().clean()
        kind, period = data.get("kind"), data.get("period")
        if period == AlertPeriod.HOUR and kind and kind not in HOURLY_KINDS:
            self.add_error("period", HOURLY_KINDS_ONLY)
        if kind == AlertKind.KEYWORD and "query" in data:
            parsed = parse_query(data["query"])
            if not parsed.terms:
                self.add_error(
                    "query",
                    "A keyword rule needs at least one word or phrase to look for"
                    + (" (exclusions alone match nothing)." if parsed.excluded else "."),
                )
        if kind != AlertKind.KEYWORD:
            # Only keyword rules read these; keep other rules free of leftovers.
            data["query"], data["only_negative"] = "", False
        return data

    def rule_fields(self) -> dict:
        """The cleaned values under the rule's field names."""
        data = dict(self.cleaned_data)
        data["target_ids"] = [ObjectId(t) for t in data.get("target_ids", [])]
        return {name: data[name] for name in rules.EDIT_FIELDS if name in data}


def initial_of(rule: AlertRule) -> dict:
    """A rule's values as the form shows them."""
    return {
        "name": rule.name,
        "kind": rule.kind,
        "period": rule.period,
        "target_ids": [str(t) for t in rule.target_ids],
        "platforms": list(rule.platforms),
        "query": rule.query,
        "only_negative": rule.only_negative,
        "min_count": rule.min_count,
        "significance": repr(rule.significance),
        "cooldown_hours": rule.cooldown_hours,
        "email": rule.email,
        "chat_webhook_urls": "\n".join(rule.chat_webhook_urls),
        "enabled": rule.enabled,
    }
