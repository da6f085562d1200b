"""Forms of the project and target pages.

The config form shows the embedded ``config`` document as flat fields (``CONFIG_FIELDS``
maps each to its dotted path), builds a new config from them, and places the model's
validation errors back on the fields they are about.
"""

from __future__ import annotations

import copy

from bson import ObjectId
from bson.errors import InvalidId
from django import forms
from django.conf import settings

from accounts.models import LLM_PROVIDERS, SCRAPER_PROVIDERS, ApiKey
from projects import presets
from projects.analysis_options import EmotionModel, SentimentClasses
from projects.models import (
    LLM_PROVIDER_CHOICES,
    SCRAPER_PROVIDER_CHOICES,
    LLMScope,
    Project,
    ProjectConfig,
)
from projects.platforms import SEARCH_PLATFORMS, Platform
from projects.services import FROM_SCRATCH, ActionRefused, selector_error
from projects.services.monitors import DEFAULT_INSTANCE, monitor_spec, split_lines
from sentimatrix.textfiles import ADVICE, NotTextError, decode_text

NAME_MAX = Project._meta.get_field("name").max_length

# Form field -> path inside ``config``.
CONFIG_FIELDS = {
    "platforms": "scrapers.platforms",
    "commercial_provider": "scrapers.commercial_provider",
    "commercial_api_key": "scrapers.commercial_config.api_key_id",
    "render_js": "scrapers.commercial_config.render_js",
    "proxy_country": "scrapers.commercial_config.country",
    "premium_proxy": "scrapers.commercial_config.premium_proxy",
    "llm_provider": "llm.provider",
    "llm_model": "llm.model",
    "llm_api_key": "llm.api_key_id",
    "temperature": "llm.temperature",
    "max_tokens": "llm.max_tokens",
    "llm_scope": "llm.scope",
    "sentiment": "analysis.sentiment",
    "sentiment_classes": "analysis.sentiment_classes",
    "emotions": "analysis.emotions",
    "emotion_model": "analysis.emotion_model",
    "summarize": "analysis.summarize",
    "extract_insights": "analysis.extract_insights",
    "max_reviews_per_target": "limits.max_reviews_per_target",
    "max_requests_per_day": "limits.max_requests_per_day",
    "rate_limit_delay": "limits.rate_limit_delay",
    "llm_monthly_token_budget": "limits.llm_monthly_token_budget",
}
SECTIONS = (
    ("Project", ("name", "description")),
    (
        "Collection",
        (
            "platforms",
            "commercial_provider",
            "commercial_api_key",
            "render_js",
            "proxy_country",
            "premium_proxy",
        ),
    ),
    (
        "Language model",
        ("llm_provider", "llm_model", "llm_api_key", "llm_scope", "temperature", "max_tokens"),
    ),
    (
        "Analysis",
        ("sentiment", "sentiment_classes", "emotions", "emotion_model", "summarize", "extract_insights"),
    ),
    (
        "Limits",
        ("max_reviews_per_target", "max_requests_per_day", "rate_limit_delay", "llm_monthly_token_budget"),
    ),
)
# Platforms a project collects from; file imports are uploaded, not collected.
PLATFORM_CHOICES = [(value, label) for value, label in Platform.choices if value != Platform.FILE]


def _get(config, path: str):
    value = config
    for part in path.split("."):
        value = getattr(value, part)
    return value


def _set(config, path: str, value) -> None:
    *parents, last = path.split(".")
    node = config
    for part in parents:
        node = getattr(node, part)
    setattr(node, last, value)


def _key_choices(user, providers) -> list[tuple[str, str]]:
    keys = ApiKey.objects.filter(user=user, provider__in=list(providers)).order_by("name")
    return [("", "None")] + [
        (str(key.pk), f"{key.name} ({key.get_provider_display()}, {key.masked_key})") for key in keys
    ]


class ProjectCreateForm(forms.Form):
    name = forms.CharField(max_length=NAME_MAX)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    start_from = forms.ChoiceField(
        label="Start from",
        help_text="A preset fills in platforms, analysis and limits; you can change every part afterwards.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = presets.preset_choices(user)
        self.fields["start_from"].choices = [
            ("Presets", [c for c in choices if c[0] in presets.SYSTEM_PRESETS]),
            *(
                [("Your presets", [c for c in choices if c[0] not in presets.SYSTEM_PRESETS])]
                if len(choices) > len(presets.SYSTEM_PRESETS)
                else []
            ),
            (FROM_SCRATCH, "From scratch (default settings)"),
        ]
        default = getattr(user.settings, "default_preset", "") or presets.DEFAULT_PRESET
        valid = {c[0] for c in choices}
        self.fields["start_from"].initial = default if default in valid else presets.DEFAULT_PRESET


class ProjectConfigForm(forms.Form):
    """Name, description and every part of ``config`` except the schedule (its own page)."""

    name = forms.CharField(max_length=NAME_MAX)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    platforms = forms.MultipleChoiceField(
        choices=PLATFORM_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The platforms this project collects from.",
    )
    commercial_provider = forms.ChoiceField(
        choices=[("", "None: fetch directly"), *SCRAPER_PROVIDER_CHOICES],
        required=False,
        label="Commercial scraping provider",
        help_text="Fetches pages that block direct collection (Amazon, most of all).",
    )
    commercial_api_key = forms.ChoiceField(
        required=False,
        label="Provider key",
        help_text="From your API keys; none: your newest key of the provider.",
    )
    render_js = forms.BooleanField(required=False, label="Render JavaScript")
    proxy_country = forms.CharField(
        required=False, max_length=8, label="Proxy country", help_text="Two-letter code, e.g. us."
    )
    premium_proxy = forms.BooleanField(required=False, label="Premium proxies")
    llm_provider = forms.ChoiceField(
        choices=[("", "None: local engine only"), *LLM_PROVIDER_CHOICES],
        required=False,
        label="LLM provider",
        help_text="Summaries, insights and five-class sentiment read better with a language model.",
    )
    llm_model = forms.CharField(required=False, max_length=128, label="Model", help_text="e.g. gpt-4o-mini")
    llm_api_key = forms.ChoiceField(required=False, label="LLM key", help_text="From your API keys.")
    llm_scope = forms.ChoiceField(
        choices=LLMScope.choices,
        label="LLM analyses",
        help_text="The local engine covers English, Arabic, French, German, Hindi, Italian, Portuguese and "
        "Spanish; the LLM can take only the rest.",
    )
    temperature = forms.FloatField(min_value=0.0, max_value=2.0)
    max_tokens = forms.IntegerField(min_value=1, label="Max tokens")
    sentiment = forms.BooleanField(required=False, label="Sentiment")
    sentiment_classes = forms.TypedChoiceField(
        choices=SentimentClasses.choices, coerce=int, label="Sentiment classes"
    )
    emotions = forms.BooleanField(required=False, label="Emotions")
    emotion_model = forms.ChoiceField(choices=EmotionModel.choices, label="Emotion model")
    summarize = forms.BooleanField(required=False, label="Summaries")
    extract_insights = forms.BooleanField(required=False, label="Insights (pros, cons, topics)")
    max_reviews_per_target = forms.IntegerField(min_value=1, label="Max reviews per target")
    max_requests_per_day = forms.IntegerField(min_value=1, label="Max requests per day")
    rate_limit_delay = forms.FloatField(
        min_value=0.0, label="Rate-limit delay", help_text="Seconds between two requests to one site."
    )
    llm_monthly_token_budget = forms.IntegerField(
        min_value=0,
        label="LLM token budget per month",
        help_text="Analysis falls back to the local engine past it.",
    )

    def __init__(self, *args, user, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.project = project
        self.fields["commercial_api_key"].choices = _key_choices(user, SCRAPER_PROVIDERS)
        self.fields["llm_api_key"].choices = _key_choices(user, LLM_PROVIDERS)
        self.fields["name"].initial = project.name
        self.fields["description"].initial = project.description
        for name, path in CONFIG_FIELDS.items():
            value = _get(project.config, path)
            if isinstance(value, ObjectId):
                value = str(value)
            self.fields[name].initial = "" if value is None else value
        for name in ("commercial_api_key", "llm_api_key"):
            # A key deleted since it was chosen: offer "None" rather than an invalid choice.
            if self.fields[name].initial not in {value for value, _ in self.fields[name].choices}:
                self.fields[name].initial = ""

    def sections(self):
        """(title, bound fields) per part of the config, in page order."""
        return [(title, [self[name] for name in names]) for title, names in SECTIONS]

    def _key(self, name: str, providers) -> ApiKey | None:
        raw = self.cleaned_data.get(name)
        if not raw:
            return None
        try:
            return ApiKey.objects.filter(
                pk=ObjectId(raw), user=self.user, provider__in=list(providers)
            ).first()
        except InvalidId:
            return None

    def clean(self):
        data = super().clean()
        llm_key = self._key("llm_api_key", LLM_PROVIDERS)
        provider = data.get("llm_provider")
        if llm_key is not None and llm_key.provider != provider:
            self.add_error(
                "llm_api_key",
                f"This is a {llm_key.get_provider_display()} key; choose a key of the provider above.",
            )
        commercial_key = self._key("commercial_api_key", SCRAPER_PROVIDERS)
        commercial = data.get("commercial_provider")
        if commercial_key is not None and commercial_key.provider != commercial:
            self.add_error(
                "commercial_api_key",
                f"This is a {commercial_key.get_provider_display()} key; choose a key of the provider above.",
            )
        country = (data.get("proxy_country") or "").strip()
        if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
            self.add_error("proxy_country", "Give a two-letter country code such as us or de.")
        data["proxy_country"] = country.lower()
        data["llm_api_key"] = llm_key.pk if llm_key else None
        data["commercial_api_key"] = commercial_key.pk if commercial_key else None
        data["commercial_provider"] = commercial or None
        return data

    def config(self) -> ProjectConfig:
        """A new config: the project's, with this form's values (the schedule untouched)."""
        config = copy.deepcopy(self.project.config)
        for name, path in CONFIG_FIELDS.items():
            _set(config, path, self.cleaned_data[name])
        return config

    def add_model_errors(self, errors: dict[str, list[str]]) -> None:
        """Put validation errors keyed by dotted path (``config.llm.model``) on their fields."""
        by_path = {f"config.{path}": name for name, path in CONFIG_FIELDS.items()}
        for path, messages in errors.items():
            name = by_path.get(path, path if path in self.fields else None)
            self.add_error(name, messages if name else [f"{path}: {m}" for m in messages])


class SavePresetForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="It will be offered when you create a project.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label="I understand this cannot be undone")


# --- targets ----------------------------------------------------------------------------


class _TargetForm(forms.Form):
    """One way of adding a target; the page posts its ``KIND`` beside the fields."""

    KIND = ""
    label = forms.CharField(
        required=False, max_length=200, help_text="Leave empty for a name taken from the link."
    )


class TargetOptionFields(forms.Form):
    """The options of a platform link, when added and when edited; the service checks them
    against the platform (``projects.services.target_options``)."""

    country = forms.CharField(
        required=False, max_length=8, help_text="Amazon, App Store, Google Play: two-letter code."
    )
    language = forms.CharField(
        required=False, max_length=32, help_text="Steam, Google, Google Play, Trustpilot."
    )
    sort_by = forms.CharField(
        required=False,
        max_length=32,
        label="Sort by",
        help_text="Steam: recent, updated, all · YouTube: time, relevance · Reddit: new, top, … · "
        "Google: newest, most_relevant · Amazon: recent, helpful.",
    )

    def options(self) -> dict:
        return {k: self.cleaned_data.get(k, "") for k in ("country", "language", "sort_by")}


class LinkTargetForm(_TargetForm, TargetOptionFields):
    """A pasted link: the platform and its identifiers are recognised from it."""

    KIND = "link"
    url = forms.CharField(
        max_length=2048,
        label="Link",
        help_text="A product, game, video, post, place, app, story or company page.",
        widget=forms.URLInput(attrs={"placeholder": "https://store.steampowered.com/app/570/"}),
    )
    field_order = ["url", "label", "country", "language", "sort_by"]


class FeedTargetForm(_TargetForm):
    KIND = "feed"
    url = forms.CharField(
        max_length=2048,
        label="Feed URL",
        help_text="An RSS or Atom feed; each entry becomes a result.",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/blog/feed.xml"}),
    )
    field_order = ["url", "label"]


SELECTOR_FIELDS = (
    "item_selector",
    "text_selector",
    "title_selector",
    "author_selector",
    "rating_selector",
    "date_selector",
    "next_selector",
)


class SelectorFields(forms.Form):
    """The CSS selectors of a web-page target, checked the same way when it is added, edited
    or its selectors are tested."""

    item_selector = forms.CharField(
        max_length=500, label="Item selector", help_text="Matches one review or comment, e.g. .review"
    )
    text_selector = forms.CharField(
        required=False, max_length=500, help_text="Inside an item; empty: the item's whole text."
    )
    title_selector = forms.CharField(required=False, max_length=500)
    author_selector = forms.CharField(required=False, max_length=500)
    rating_selector = forms.CharField(required=False, max_length=500)
    date_selector = forms.CharField(required=False, max_length=500)
    next_selector = forms.CharField(
        required=False, max_length=500, help_text="The link to the next page of reviews, if any."
    )

    def clean(self):
        data = super().clean()
        for name in SELECTOR_FIELDS:
            selector = (data.get(name) or "").strip()
            if not selector:
                continue
            error = selector_error(selector)
            if error:
                self.add_error(name, error)
            data[name] = selector
        return data

    def selectors(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in SELECTOR_FIELDS if self.cleaned_data.get(name)}


PAGE_URL_FIELD = {"max_length": 2048, "label": "Page URL"}


class WebTargetForm(_TargetForm, SelectorFields):
    """Any web page, read with CSS selectors."""

    KIND = "web"
    url = forms.CharField(
        **PAGE_URL_FIELD, widget=forms.URLInput(attrs={"placeholder": "https://example.com/reviews"})
    )
    field_order = ["url", "label", *SELECTOR_FIELDS]


class SelectorPreviewForm(SelectorFields):
    """The page and selectors of the add or edit form (prefix ``web``), to test them."""

    url = forms.CharField(**PAGE_URL_FIELD)


class FileTargetForm(_TargetForm):
    KIND = "file"
    file = forms.FileField(
        label="File of reviews",
        help_text="CSV, JSON or JSON Lines (.csv, .json, .jsonl). Columns such as text, rating, date "
        "and author are recognised.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.json,.jsonl,.ndjson"}),
    )
    field_order = ["file", "label"]

    def clean_file(self):
        """Refuse a file that is not text (a PDF, a workbook or a picture named .csv): the
        import would read it as rows of junk. Decoded as the import decodes it."""
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > settings.FILE_IMPORT_MAX_BYTES:
            return upload  # refused for its size when added, with the limit
        data = upload.read()
        upload.seek(0)
        try:
            decode_text(data)
        except NotTextError as exc:
            raise forms.ValidationError(
                f"{upload.name} is not a text file of reviews ({exc.message}): {ADVICE}.", code="not_text"
            ) from exc
        return upload


TARGET_FORMS = {form.KIND: form for form in (LinkTargetForm, FeedTargetForm, WebTargetForm, FileTargetForm)}


class TargetEditForm(forms.Form):
    """A target's name and its own limit; ``target_edit_form`` adds the fields of its kind."""

    label = forms.CharField(
        required=False,
        max_length=200,
        label="Name",
        help_text="Empty: the name the platform gives it.",
    )
    max_results = forms.IntegerField(
        required=False,
        min_value=1,
        label="Max reviews per collection",
        help_text="Empty: the project's limit; a target's limit can only lower it.",
    )

    def changes(self) -> dict:
        """The keyword arguments of ``projects.services.edit_target``."""
        data = self.cleaned_data
        changes = {"label": data["label"], "max_results": data.get("max_results")}
        if isinstance(self, TargetOptionFields):
            changes["options"] = self.options()
        if isinstance(self, SelectorFields):
            changes["selectors"] = self.selectors()
        return changes


class LinkTargetEditForm(TargetEditForm, TargetOptionFields):
    pass


class WebTargetEditForm(TargetEditForm, SelectorFields):
    pass


def target_edit_form(target, data=None) -> TargetEditForm:
    """The edit form of ``target``'s kind, filled with what it has now. A web page's fields
    carry the ``web`` prefix of the add form, so "test these selectors" reads either."""
    initial = {"label": target.label if target.renamed else "", "max_results": target.options.max_results}
    if target.platform == Platform.WEB:
        initial.update(target.platform_data.selectors or {})
        return WebTargetEditForm(data, initial=initial, prefix="web")
    if target.platform in (Platform.FEED, Platform.FILE):
        return TargetEditForm(data, initial=initial)
    initial.update(
        country=target.options.country, language=target.options.language, sort_by=target.options.sort_by
    )
    return LinkTargetEditForm(data, initial=initial)


class BulkAddForm(forms.Form):
    urls = forms.CharField(
        required=False,
        label="Links, one per line",
        widget=forms.Textarea(
            attrs={"rows": 10, "placeholder": "https://store.steampowered.com/app/570/, Dota 2"}
        ),
        help_text="Optionally a label after a comma or a tab. Lines starting with # are skipped.",
    )
    csv_file = forms.FileField(
        required=False,
        label="Or a CSV file",
        help_text="Columns url and (optionally) label.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean(self):
        data = super().clean()
        if not (data.get("urls") or "").strip() and not data.get("csv_file"):
            raise forms.ValidationError("Paste at least one link or choose a CSV file.")
        return data


class MonitorForm(forms.Form):
    """A keyword monitor, when added and when edited: the service's checks
    (``projects.services.monitors.monitor_spec``) put back on the fields they are about."""

    query = forms.CharField(
        max_length=500,
        help_text='Words, "exact phrases" and -exclusions, as in the explorer: '
        'acme "battery life" -refund. Every word and phrase must appear.',
        widget=forms.TextInput(attrs={"placeholder": 'acme "battery life" -refund'}),
    )
    platforms = forms.MultipleChoiceField(
        choices=[(p, Platform(p).label) for p in SEARCH_PLATFORMS],
        widget=forms.CheckboxSelectMultiple,
        initial=[Platform.REDDIT.value, Platform.HACKERNEWS.value],
        label="Platforms to search",
    )
    instances = forms.CharField(
        required=False,
        label="Mastodon instances",
        initial=DEFAULT_INSTANCE,
        help_text="One host name a line, with its port when it is not 443; empty: mastodon.social.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    language = forms.CharField(
        required=False,
        max_length=16,
        help_text="A code such as en; empty: any language (where the platform can tell).",
    )
    max_results = forms.IntegerField(
        required=False,
        min_value=1,
        label="Cap per run",
        help_text="The most new mentions a run keeps per platform; empty: the project's limit.",
    )
    label = forms.CharField(
        required=False, max_length=200, help_text="Leave empty to name it after the query."
    )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            data["spec"] = monitor_spec(
                data.get("query", ""),
                data.get("platforms") or (),
                language=data.get("language", ""),
                instances=split_lines(data.get("instances", "")),
                max_results=data.get("max_results"),
            )
        except ActionRefused as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data

    @classmethod
    def initial_of(cls, target) -> dict:
        """The form's values for an existing monitor."""
        return {
            "query": target.platform_data.query,
            "platforms": list(target.platform_data.search_platforms or ()),
            "instances": "\n".join(target.platform_data.instances or ()),
            "language": target.options.language,
            "max_results": target.options.max_results,
            "label": target.label if target.renamed else "",
        }
