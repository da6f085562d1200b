"""The one base of the refusals a user may read.

A service that cannot do what was asked raises a subclass of :class:`Refused` with a message
written for the user (and, when it is about one input, that input's name). Pages show the
message, the API answers 400 (a field) or 409 (the object's state), the commands print it:
every caller catches ``Refused`` once, so no service re-wraps another's refusal.
"""

from __future__ import annotations


class Refused(Exception):
    """The action is not possible now; ``message`` says why, ``field`` which input it is about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
