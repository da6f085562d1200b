"""The ownership check every page and API view makes, in one place.

An object is the signed-in user's when its ``user_id`` is theirs; anything else answers 404, so
another user's object looks exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model
from django.shortcuts import get_object_or_404

M = TypeVar("M", bound=Model)


def owned_or_404(model: type[M], user: Any, pk: Any, **lookups: Any) -> M:
    """``model``'s object ``pk`` when it belongs to ``user`` (and matches ``lookups``), else
    :class:`~django.http.Http404`."""
    return get_object_or_404(model, pk=pk, user_id=user.pk, **lookups)
