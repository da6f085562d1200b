"""Token scopes: ``read`` for every GET, ``write`` to change projects, targets and webhooks,
``jobs`` to start and cancel jobs. A view names the scope of each method in ``scopes``;
otherwise safe methods need ``read`` and the others ``write``.

The signed-in session (the pages' own calls) has every scope: it is the user at the keyboard.
"""

from __future__ import annotations

from rest_framework import permissions

from api.models import ApiToken, Scope


def required_scope(request, view) -> str:
    declared = getattr(view, "scopes", None) or {}
    if request.method in declared:
        return declared[request.method]
    return Scope.READ if request.method in permissions.SAFE_METHODS else Scope.WRITE


class HasScope(permissions.BasePermission):
    def has_permission(self, request, view):
        token = request.auth
        if not isinstance(token, ApiToken):
            return True
        scope = required_scope(request, view)
        if scope in token.scopes:
            return True
        self.message = f"This token lacks the “{scope}” scope."
        self.code = "insufficient_scope"
        return False
