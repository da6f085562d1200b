"""Anything else under /api/: a JSON 404."""

from __future__ import annotations

from django.http import JsonResponse

from api.exceptions import error_body


def not_found(request, *args, **kwargs):
    """A JSON 404 for paths the API does not have (never the HTML page)."""
    message = "No such API endpoint."
    if not request.path.endswith("/"):
        message += f" API paths end with a slash: {request.path}/"
    return JsonResponse(error_body("not_found", message), status=404)
