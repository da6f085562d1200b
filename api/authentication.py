"""Who is calling: a personal access token (``Authorization: Bearer``) or the browser session.

Session requests are the pages' own calls and keep Django's CSRF check (DRF's
``SessionAuthentication`` enforces it); tokens need none, since a browser never sends them
by itself.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from api import tokens

KEYWORD = "Bearer"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>``; ``request.auth`` is the :class:`~api.models.ApiToken`."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() != KEYWORD.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as: Authorization: Bearer <token>.")
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid token.") from exc
        try:
            token = tokens.find_token(raw)
        except tokens.InvalidToken as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        tokens.mark_used(token)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with this challenge) rather than 403 to unauthenticated calls.
        return f'{KEYWORD} realm="api"'
