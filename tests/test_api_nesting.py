"""Deeply nested JSON sent to the API is refused with a 400 in the API's error shape."""

import io

import pytest

from api.parsers import MAX_JSON_DEPTH, LimitedJSONParser
from projects.models import Project
from tests.api_helpers import api_client, error_of, make_token
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PROJECTS = "/api/v1/projects/"


def nested(depth: int, leaf: str = "1") -> str:
    return '{"a":' * depth + leaf + "}" * depth


@pytest.fixture
def client(fast_passwords):
    return api_client(make_token(make_user()))


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than the JSON decoder's recursion limit
        '{"name": "x", "description": "y", "config": ' + nested(5_000) + "}",
        '{"name": "x", "config": ' + nested(MAX_JSON_DEPTH) + "}",  # parses, but too deep to keep
    ],
    ids=["arrays", "objects", "just-over-the-limit"],
)
def test_deeply_nested_bodies_get_400_in_the_error_shape(client, body):
    response = client.post(PROJECTS, body, content_type="application/json")

    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "parse_error" and "nested too deeply" in error["message"]
    assert not Project.objects.exists()


def test_the_parser_takes_bodies_up_to_the_limit():
    parser = LimitedJSONParser()
    deepest = nested(MAX_JSON_DEPTH - 2, '{"b": [1, 2]}')  # exactly the limit
    assert parser.parse(io.BytesIO(deepest.encode()))["a"]["a"]["a"]
    assert parser.parse(io.BytesIO(b'{"name": "x", "tags": [[1], {"k": []}]}'))["name"] == "x"
