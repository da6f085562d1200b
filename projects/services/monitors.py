"""Keyword monitors: a query searched on several platforms, added and edited like any target.

A monitor is a target of the platform ``keyword``: its query (the explorer's search syntax)
is ``platform_data.query``, the platforms searched ``platform_data.search_platforms`` and, for
Mastodon, the instances asked ``platform_data.instances``; the language wanted is the
target's ``options.language`` and its per-run cap (per platform) ``options.max_results``.
Its "address" is ``keyword:<query>`` (the canonical form: one monitor per query in a
project). The plan's limit on targets applies as to any target.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError

from projects.models import Target
from projects.platforms import SEARCH_PLATFORMS, DetectedType, Platform
from projects.recognition import Recognition
from projects.services.base import ActionRefused, ensure_writable
from projects.services.targets import DUPLICATE_MESSAGE, add_target
from sentimatrix.search_syntax import parse_query

QUERY_MAX = 500
DEFAULT_INSTANCE = "mastodon.social"
MAX_INSTANCES = 10
#: Platforms whose search needs a key the user stores on the API keys page.
NEEDS_KEY = {Platform.YOUTUBE.value: "youtube"}
# A host name with an optional port: self-hosted instances sometimes listen on another one.
_HOST = re.compile(
    r"^(?=.{1,253}(:|$))([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}(:(?P<port>\d{1,5}))?$"
)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
PREFIX = "keyword:"


@dataclass(frozen=True)
class MonitorSpec:
    """A monitor's checked settings."""

    query: str
    platforms: tuple[str, ...]
    language: str = ""
    instances: tuple[str, ...] = ()
    max_results: int | None = None

    @property
    def canonical_url(self) -> str:
        return PREFIX + " ".join(self.query.lower().split())

    def platform_data(self) -> dict:
        return {
            "query": self.query,
            "search_platforms": list(self.platforms),
            "instances": list(self.instances),
        }


def check_query(query: str) -> str:
    """The query, trimmed; refused without a word or phrase to search for (exclusions alone
    would ask a platform for everything)."""
    query = " ".join(str(query or "").split())
    if len(query) > QUERY_MAX:
        raise ActionRefused(f"Keep the query under {QUERY_MAX} characters.", field="query")
    if not parse_query(query).terms:
        raise ActionRefused(
            'Give at least one word or "phrase" to search for (not only -exclusions).', field="query"
        )
    return query


def check_platforms(platforms) -> tuple[str, ...]:
    """The chosen platforms among those that offer search, in their usual order."""
    chosen = {str(p).strip().lower() for p in platforms or ()}
    unknown = chosen - set(SEARCH_PLATFORMS)
    if unknown:
        raise ActionRefused(
            f"{', '.join(sorted(unknown))} cannot be searched; choose among {', '.join(SEARCH_PLATFORMS)}.",
            field="platforms",
        )
    if not chosen:
        raise ActionRefused("Choose at least one platform to search.", field="platforms")
    return tuple(str(p) for p in SEARCH_PLATFORMS if p in chosen)


def check_instances(instances, platforms: tuple[str, ...]) -> tuple[str, ...]:
    """Mastodon instances as host names (``https://`` and a final slash are forgiven);
    mastodon.social when Mastodon is searched and none is given."""
    hosts: list[str] = []
    for raw in instances or ():
        host = str(raw).strip().lower().removeprefix("https://").removeprefix("http://").rstrip("/")
        if not host:
            continue
        found = _HOST.match(host)
        if not found or not 0 < int(found["port"] or 443) < 65536:
            raise ActionRefused(f"“{raw}” is not a host name such as mastodon.social.", field="instances")
        if host not in hosts:
            hosts.append(host)
    if len(hosts) > MAX_INSTANCES:
        raise ActionRefused(f"Ask at most {MAX_INSTANCES} Mastodon instances.", field="instances")
    if Platform.MASTODON in platforms and not hosts:
        hosts = [DEFAULT_INSTANCE]
    return tuple(hosts)


def check_language(language: str) -> str:
    language = str(language or "").strip().lower()
    if language and not _LANGUAGE.match(language):
        raise ActionRefused(
            "Give the language as a code such as en or pt-br, or leave it empty.", field="language"
        )
    return language


def monitor_spec(
    query: str, platforms, *, language: str = "", instances=(), max_results: int | None = None
) -> MonitorSpec:
    """A monitor's settings checked; ``ActionRefused`` (with its field) says what to fix."""
    chosen = check_platforms(platforms)
    if max_results is not None and int(max_results) < 1:
        raise ActionRefused("The cap per run is at least 1.", field="max_results")
    return MonitorSpec(
        query=check_query(query),
        platforms=chosen,
        language=check_language(language),
        instances=check_instances(instances, chosen),
        max_results=int(max_results) if max_results else None,
    )


def split_lines(text: str) -> list[str]:
    """One value a line (a textarea's Mastodon instances)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def is_monitor(target: Target) -> bool:
    return target.platform == Platform.KEYWORD


def add_monitor(project, spec: MonitorSpec, *, label: str = "") -> Target:
    """Add a keyword monitor to ``project``: refused on an archived project, for a query the
    project already monitors or at the plan's targets-per-project limit."""
    recognition = Recognition(
        platform=Platform.KEYWORD,
        detected_type=DetectedType.KEYWORD,
        platform_data=spec.platform_data(),
        canonical_url=spec.canonical_url,
        label=f"“{spec.query}”"[:200],
        url=spec.canonical_url,
    )
    options = {"language": spec.language, "max_results": spec.max_results}
    return add_target(project, recognition, label=label, options={k: v for k, v in options.items() if v})


def edit_monitor(target: Target, spec: MonitorSpec, *, label: str = "") -> Target:
    """Change a monitor's query, platforms, instances, language and cap. A new query starts
    from fresh since-cursors (the old ones say where an other question stopped)."""
    ensure_writable(target.project)
    if not is_monitor(target):
        raise ActionRefused("This target is not a keyword monitor.")
    query_changed = target.platform_data.query != spec.query
    target.platform_data.query = spec.query
    target.platform_data.search_platforms = list(spec.platforms)
    target.platform_data.instances = list(spec.instances)
    target.options.language = spec.language
    target.options.max_results = spec.max_results
    target.url = target.canonical_url = spec.canonical_url
    target.rename(label, fallback=f"“{spec.query}”"[:200])
    if query_changed:
        target.metadata = {k: v for k, v in (target.metadata or {}).items() if k != "search_cursors"}
        if not target.renamed:
            target.label = f"“{spec.query}”"[:200]
    fields = [
        "platform_data",
        "options",
        "url",
        "canonical_url",
        "label",
        "renamed",
        "metadata",
        "updated_at",
    ]
    try:
        target.save(update_fields=fields)
    except IntegrityError as exc:
        raise ActionRefused(DUPLICATE_MESSAGE, field="query") from exc
    return target


def monitor_rows(target: Target) -> list[dict]:
    """Per platform searched: its name, what the last run found and kept new, and its error."""
    summary = ((target.metadata or {}).get("monitor_summary") or {}).get("platforms") or {}
    rows = []
    for platform in target.platform_data.search_platforms or ():
        entry = summary.get(platform) or {}
        rows.append(
            {
                "platform": platform,
                "label": Platform(platform).label if platform in Platform.values else platform,
                "found": entry.get("found"),
                "new": entry.get("new"),
                "error": entry.get("error") or "",
            }
        )
    return rows
