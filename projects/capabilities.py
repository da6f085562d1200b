"""Which engine produces each part of a project's analysis, and whether this user gets it: the
one answer the create page (per preset), the settings page and the dashboard show.

A part is produced by the local engine (trained models and rules in this process) or by the
project's LLM provider. A part nobody can produce with the current settings says what is
missing and links to the page that provides it: an LLM API key (the API keys page), or the
choice of that key in the project's analysis settings when the user already has one.

What the local engine of this installation can do is asked of it through
:func:`register_local_check` (the analysis app registers it when it starts; this app never
imports that one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from accounts.models import ApiKey
from projects.analysis_options import AnalysisOptions, EmotionModel
from projects.llm_usage import uses_llm
from projects.models import LLM_PROVIDER_CHOICES, AnalysisConfig, LLMConfig, LLMScope, Project

# Languages the local engine's sentiment models cover (analysis/engine/models), for the text below.
LOCAL_LANGUAGES = "English, Arabic, French, German, Hindi, Italian, Portuguese and Spanish"

LOCAL, LLM, NONE = "local", "llm", "none"
SOURCE_LABELS = {LOCAL: "Local engine", LLM: "LLM provider", NONE: "Not produced"}

# The questions asked of the local engine: the parts of some analysis options it cannot produce
# at all in this installation ({"emotions": reason}); see register_local_check.
_LOCAL_CHECKS: dict[str, Callable[[AnalysisOptions], dict[str, str]]] = {}


def register_local_check(name: str, check: Callable[[AnalysisOptions], dict[str, str]]) -> None:
    """Ask ``check`` which parts of some analysis options the local engine cannot produce at
    all here (``{"emotions": reason}``); registering a name again replaces its check."""
    _LOCAL_CHECKS[name] = check


def local_cannot(options: AnalysisOptions) -> dict[str, str]:
    """Every registered check's answer for ``options``, merged."""
    found: dict[str, str] = {}
    for check in _LOCAL_CHECKS.values():
        found.update(check(options))
    return found


@dataclass(frozen=True)
class Capability:
    """One part of the analysis: who produces it, and what is missing when nobody can."""

    part: str
    source: str  # LOCAL, LLM or NONE
    engine: str  # what produces it, in words ("the local GoEmotions model (…)")
    missing: str = ""  # what the user needs to get it ("" when available)
    fix_url: str = ""
    fix_label: str = ""

    @property
    def available(self) -> bool:
        return self.source != NONE

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]


@dataclass(frozen=True)
class _Fix:
    """Where a user gets an LLM: add a key, or choose the one they have in the settings."""

    url: str
    label: str
    has_key: bool

    def need(self, what: str) -> str:
        if self.has_key:
            return f"{what} need an LLM: choose your LLM API key in the project's analysis settings."
        return f"{what} need an LLM API key — add one in API keys, then choose it in the project's settings."


def has_llm_key(user_id) -> bool:
    """Whether the user stored a key of an LLM provider (what an LLM part needs first)."""
    providers = [value for value, _ in LLM_PROVIDER_CHOICES]
    return ApiKey.objects.filter(user_id=user_id, provider__in=providers).exists()


def capabilities(
    analysis: AnalysisConfig,
    llm: LLMConfig | None = None,
    *,
    has_key: bool = False,
    settings_url: str = "",
) -> list[Capability]:
    """The parts ``analysis`` asks for, each with its engine. ``llm``: the LLM settings when
    the project's analysis uses them (:func:`projects.llm_usage.uses_llm`), else None;
    ``has_key``: the user has an LLM key (then the fix is choosing it at ``settings_url``)."""
    if has_key:  # no link before the project exists: its settings page comes after creation
        fix = _Fix(settings_url, "Analysis settings" if settings_url else "", True)
    else:
        fix = _Fix(reverse("accounts:api_keys"), "API keys", False)
    everything = llm is not None and llm.scope == LLMScope.ALL
    model = f"the LLM ({llm.model or llm.provider})" if llm is not None else ""
    cannot = local_cannot(AnalysisOptions.of(analysis))
    parts: list[Capability] = []
    if analysis.sentiment:
        parts.append(
            Capability("Sentiment", LLM, model)
            if everything
            else Capability("Sentiment", LOCAL, f"the local trained models ({LOCAL_LANGUAGES})")
        )
    if analysis.emotions:
        parts.append(_emotions(analysis, everything, model, cannot.get("emotions"), fix))
    if analysis.summarize:
        parts.append(
            Capability("Summaries", LLM, model)
            if everything
            else Capability("Summaries", LOCAL, "extractive, in the local engine")
        )
    if analysis.extract_insights:
        parts.append(
            Capability(
                "Pros, cons and topics",
                LOCAL,
                "aspects found in the local engine, judged sentence by sentence",
            )
        )
    if analysis.summarize or analysis.extract_insights:
        parts.append(
            Capability("Written overview of the project", LLM, f"{model}, from quotes of the results")
            if llm is not None
            else Capability(
                "Written overview of the project",
                NONE,
                "not written: the dashboard shows the extracted summary",
                fix.need("Written overviews"),
                fix.url,
                fix.label,
            )
        )
    if everything:
        parts.append(Capability("Other languages", LLM, "analysed by the LLM"))
    elif llm is not None:
        parts.append(
            Capability(
                "Other languages",
                LLM,
                "analysed by the LLM (its scope: languages the local engine does not cover)",
            )
        )
    else:
        parts.append(
            Capability(
                "Other languages",
                NONE,
                "left unanalysed and counted apart: choose an LLM to cover them",
                fix.need(f"Results in languages other than {LOCAL_LANGUAGES}"),
                fix.url,
                fix.label,
            )
        )
    return parts


def _emotions(analysis, everything: bool, model: str, reason: str | None, fix: _Fix) -> Capability:
    if everything:
        return Capability("Emotions", LLM, model)
    if analysis.emotion_model == EmotionModel.PLUTCHIK:
        return Capability("Emotions", LOCAL, "the NRC emotion lexicon (Plutchik's eight; English texts)")
    names = "27 emotions and neutral" if analysis.emotion_model == EmotionModel.GOEMOTIONS else "Ekman's six"
    if reason:
        return Capability(
            "Emotions",
            NONE,
            f"not produced: {reason}",
            "Emotions need the local GoEmotions model, which this installation has not trained: "
            "choose Plutchik's eight in the analysis settings, or an LLM.",
            fix.url,
            fix.label,
        )
    return Capability("Emotions", LOCAL, f"the local GoEmotions model ({names}; English texts)")


def for_project(project: Project) -> list[Capability]:
    """The capabilities of ``project``'s saved settings, for its owner."""
    llm = project.config.llm if uses_llm(project) else None
    return capabilities(
        project.config.analysis,
        llm,
        has_key=has_llm_key(project.user_id),
        settings_url=reverse("projects:edit", args=[project.pk]),
    )


def part(found: list[Capability], name: str) -> Capability | None:
    """The capability called ``name`` in ``found``, if the settings ask for it."""
    return next((c for c in found if c.part == name), None)
