"""Trustpilot companies.

Accepted, on trustpilot.com and its country hosts (www., uk., de., fr., ...):
``/review/DOMAIN`` with any query (``?page=2``, ``?stars=5``, ``?languages=all``) and
trailing segments, and ``/evaluate/DOMAIN`` (the write-a-review page of the same company).
The domain is kept as Trustpilot spells it (``www.`` included: Trustpilot lists
``www.example.com`` and ``example.com`` as different companies). Refused with the reason:
category pages, user profiles, search, the home page, links without a company and
malformed domains.
"""

from __future__ import annotations

import re

from projects.platforms import DetectedType, Platform

from .base import ParsedURL, Recognition, refuse

_DOMAIN = re.compile(r"^(?=.{4,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z][a-z0-9-]{1,62}$")

NO_COMPANY = "no company in this Trustpilot URL: paste a company page like trustpilot.com/review/example.com"
_NOT_A_COMPANY = {
    "categories": "this is a Trustpilot category page, not a company",
    "users": "this is a Trustpilot user profile, not a company",
    "search": "this is a Trustpilot search page, not a company",
    "blog": "this is the Trustpilot blog, not a company",
}


def matches(url: ParsedURL) -> bool:
    return url.subdomain_of("trustpilot.com") is not None


def recognize(url: ParsedURL) -> Recognition:
    """A Trustpilot company target, or ``UnrecognizedURL`` saying what kind of page it is."""
    kind = url.segments[0].lower() if url.segments else ""
    if kind not in ("review", "evaluate"):
        if not kind:
            raise refuse("this is the Trustpilot home page, not a company", Platform.TRUSTPILOT)
        raise refuse(
            _NOT_A_COMPANY.get(kind, NO_COMPANY),
            Platform.TRUSTPILOT,
        )
    if len(url.segments) < 2:
        raise refuse("this Trustpilot link has no company domain after /review/", Platform.TRUSTPILOT)
    domain = url.segments[1].strip().lower().rstrip(".")
    if not _DOMAIN.match(domain):
        raise refuse(
            f"'{url.segments[1]}' is not a valid company domain: Trustpilot pages are named by a "
            "domain, like example.com",
            Platform.TRUSTPILOT,
        )
    return Recognition(
        platform=Platform.TRUSTPILOT,
        detected_type=DetectedType.COMPANY,
        platform_data={"domain": domain},
        canonical_url=f"https://www.trustpilot.com/review/{domain}",
        label=f"Trustpilot: {domain}",
        default_options={"language": "all"},
        url=url.url,
    )
