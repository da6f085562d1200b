"""The platform badge and name, the one rendering every page uses.

``{% platform_icon platform %}``: a labelled badge (text on the platform's colour, from
``app.css``: no image assets); ``{{ platform|platform_name }}``: its display name.
"""

from __future__ import annotations

from django import template

from projects.platforms import Platform

register = template.Library()

PLATFORM_NAMES = dict(Platform.choices)
# The short mark that stands for each platform's logo.
PLATFORM_MARKS = {
    "amazon": "Am", "steam": "St", "youtube": "YT", "reddit": "Re", "google": "G", "appstore": "AS",
    "hackernews": "HN", "trustpilot": "TP", "feed": "RSS", "web": "W", "file": "F",
    "googleplay": "GP", "mastodon": "Ma", "bluesky": "Bs", "keyword": "KW",
}  # fmt: skip


@register.inclusion_tag("projects/partials/platform_icon.html")
def platform_icon(platform: str | None) -> dict:
    """The badge of ``platform`` (an unknown value shows its first letters, escaped)."""
    return {
        "platform": platform or "unknown",
        "name": PLATFORM_NAMES.get(platform, platform or "Unknown"),
        "mark": PLATFORM_MARKS.get(platform, (platform or "?")[:2]),
    }


@register.filter
def platform_name(platform: str | None) -> str:
    return PLATFORM_NAMES.get(platform, platform or "")


@register.filter
def platform_caveats(rows) -> list[dict]:
    """Each platform caveat of a page's targets once, in the order the targets come.

    A page lists many targets of one platform; the caveat (e.g. Amazon's review cap) is shown
    once under the table and each row only links to it. ``rows`` holds targets, rows with a
    ``target`` or rows with ``platform``/``caveat`` of their own (the job page's).
    """
    notes: dict[str, dict] = {}
    for row in rows or ():
        item = getattr(row, "target", None) or row
        text, platform = getattr(item, "caveat", ""), getattr(item, "platform", "") or ""
        if text and platform not in notes:
            notes[platform] = {"platform": platform, "name": platform_name(platform), "text": text}
    return list(notes.values())
