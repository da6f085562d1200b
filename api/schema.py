"""OpenAPI description pieces drf-spectacular cannot infer: the bearer token scheme and the
error responses every operation shares (one ``Error`` shape, see :mod:`api.exceptions`)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string", "description": "A stable machine-readable word."},
                "message": {"type": "string", "description": "What went wrong, for people."},
                "details": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Invalid input: a list of messages per field (dotted path). "
                    "Rate limits: retry_after (seconds).",
                },
            },
        }
    },
}
DESCRIPTIONS = {
    "400": "Invalid input; details name each field.",
    "401": "No token, or an invalid, expired or revoked one.",
    "403": "The token lacks the scope this operation needs.",
    "404": "No such object among yours.",
    "409": "Not possible in the object's present state (archived, already running...).",
    "413": "The request body is too large.",
    "429": "Too many requests per minute, or the plan's monthly API calls are used up.",
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}}
WRITE_METHODS = {"post", "put", "patch", "delete"}


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Bearer",  # noqa: S106 - the scheme name, not a secret
        )


def _error(code: str) -> dict:
    response = {"description": DESCRIPTIONS[code], "content": {"application/json": {"schema": ERROR_REF}}}
    if code == "429":
        response["headers"] = RETRY_AFTER
    return response


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: the shared error responses on every ``/api/v1/`` operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in WRITE_METHODS | {"get"}:
                continue
            codes = ["400", "401", "403", "429"]
            if "{" in path:
                codes.append("404")
            if method in WRITE_METHODS:
                codes += ["409", "413"]
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _error(code))
    return result
