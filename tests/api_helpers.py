"""Shared pieces of the REST API tests: tokens, a client that sends one, the error shape."""

from __future__ import annotations

import json

from django.test import Client

from api import tokens

ALL_SCOPES = ("read", "write", "jobs")


def make_token(user, scopes=ALL_SCOPES, expires_in_days=None, name="test token") -> str:
    """A new token of ``user``; returns its plaintext."""
    _, raw = tokens.create_token(user, name=name, scopes=list(scopes), expires_in_days=expires_in_days)
    return raw


def api_client(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def post_json(client: Client, url: str, data=None, method: str = "post", **extra):
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(url, body, content_type="application/json", **extra)


def error_of(response) -> dict:
    """The ``error`` object of an API error response, checked for the one shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    return error


def all_ids(client: Client, url: str) -> list[str]:
    """The ids of every page of a paginated list, following ``next``."""
    ids = []
    while url:
        body = client.get(url).json()
        ids += [r["id"] for r in body["results"]]
        url = body["next"]
    return ids
