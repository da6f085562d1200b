""" "Preview" of a keyword monitor: the first mentions each platform finds for the query, before
the monitor is saved.

Each platform is searched by the monitor's own code (:func:`scraping.collectors.keyword.search_platform`:
the same translation, local re-check and de-duplication as a run) with a cap of a few items and a
single attempt per request, so the form answers quickly; a platform that fails shows its error
beside the others' mentions. The requests count against the project's daily cap like a run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from projects.models import Project
from projects.platforms import Platform
from projects.services.monitors import MonitorSpec
from scraping import credentials
from scraping.collectors.base import CollectedItem, CollectorError, FetchContext
from scraping.collectors.keyword import Deduplicator, search_platform, source_of
from scraping.collectors.search.base import SearchQuery
from scraping.results_store import safe_web_url
from scraping.runner import requests_left_today, take_requests
from sentimatrix.http import HttpClient
from sentimatrix.mongo import collection

#: Mentions shown per platform: enough to judge the query, few enough to read.
PREVIEW_ITEMS = 5


@dataclass
class PlatformPreview:
    platform: str
    label: str
    items: list[CollectedItem] = field(default_factory=list)
    error: str = ""
    searched: list[str] = field(default_factory=list)


def _providers(platforms) -> list[str]:
    providers: list[str] = []
    for platform in platforms:
        try:
            providers += source_of(platform).credential_providers
        except CollectorError:
            continue
    return providers


def preview_monitor(project: Project, spec: MonitorSpec, limit: int = PREVIEW_ITEMS) -> list[PlatformPreview]:
    """Per platform of ``spec``: its first ``limit`` matching mentions, or why there are none."""
    project_doc = collection("projects").find_one({"_id": project.pk}) or {}
    limits = (project_doc.get("config") or {}).get("limits") or {}
    daily_cap = int(limits.get("max_requests_per_day") or 0)
    query = SearchQuery(text=spec.query, language=spec.language, instances=spec.instances)
    previews = [PlatformPreview(p, Platform(p).label) for p in spec.platforms]
    if daily_cap and requests_left_today(project.pk, daily_cap) <= 0:
        for preview in previews:
            preview.error = (
                f"The project's limit of {daily_cap} requests per day is reached; it resets at midnight UTC."
            )
        return previews
    # The project's own spacing between requests to one host, as in a run; a single attempt each.
    http = HttpClient(rate_limit_delay=float(limits.get("rate_limit_delay") or 0), max_retries=0)
    ctx = FetchContext(
        http=http,
        max_items=limit,
        credentials=credentials.for_user(project.user_id, project_doc, _providers(spec.platforms)),
    )
    seen = Deduplicator()
    try:
        for preview in previews:
            run, _ = search_platform(preview.platform, query, ctx, None, seen)
            preview.items, preview.error, preview.searched = run.items[:limit], run.error, run.searched
            for item in preview.items:  # shown as a link: only an http(s) address
                item.url = safe_web_url(item.url)
    finally:
        http.close()
        if daily_cap:
            take_requests(project.pk, http.requests_made, daily_cap)
    return previews
