"""Guarded fetching for the collectors of user-typed URLs (feeds, web pages)."""

from __future__ import annotations

import copy

import requests

from sentimatrix.http import HttpClient


def guarded(http: HttpClient) -> HttpClient:
    """The job's client with the private-address guard on.

    A user-typed URL is untrusted: every URL and redirect hop must pass
    ``netguard.check_url``. The copy shares the session and the per-host
    spacing of the job's client, so politeness is kept across both.
    """
    if http.guard:
        return http
    client = copy.copy(http)
    client.guard = True
    return client


def guarded_get(http: HttpClient, url: str) -> tuple[requests.Response, int]:
    """GET an untrusted URL through the guard; returns the response and the
    number of requests it took, which are also counted on the job's client."""
    client = guarded(http)
    before = client.requests_made
    try:
        response = client.get(url)
    finally:
        spent = client.requests_made - before
        if client is not http:
            http.requests_made += spent
    return response, spent
