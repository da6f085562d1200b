"""Validation rules of the data model, in one place.

Field validators (ranges, ``HH:MM`` times, IANA time zones, URLs) are attached
to model fields, so ``full_clean()`` and every ModelForm run them. Django does
not validate the documents inside an ``EmbeddedModelField``: its ``validate()``
checks the embedded fields' choices and blanks but never runs their validators
or the embedded model's ``clean()``. Models that embed documents therefore
derive from :class:`ValidatedModel` (collections) or
:class:`ValidatedEmbeddedModel` (embedded documents), which validate every
embedded document, at any depth, as part of ``clean_fields()``.

Errors of an embedded document are reported under the top-level field that
holds it (a ModelForm can only place errors on its own fields), with the path
inside the document in front of the message: ``config: llm.temperature:
Ensure this value is less than or equal to 2.0.`` :func:`validation_errors`
returns the same errors keyed by their full dotted path.
"""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import available_timezones

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.utils.deconstruct import deconstructible
from django_mongodb_backend.fields import EmbeddedModelArrayField, EmbeddedModelField
from django_mongodb_backend.models import EmbeddedModel

# --- Field validators ---------------------------------------------------------------

validate_hhmm = RegexValidator(
    r"^([01]\d|2[0-3]):[0-5]\d$", "Enter a time as HH:MM, from 00:00 to 23:59.", code="invalid_time"
)

SCORE_RANGE = [MinValueValidator(-1.0), MaxValueValidator(1.0)]  # sentiment scores
UNIT_RANGE = [MinValueValidator(0.0), MaxValueValidator(1.0)]  # confidences, probabilities
PERCENT_RANGE = [MinValueValidator(0), MaxValueValidator(100)]  # progress
DAY_OF_WEEK_RANGE = [MinValueValidator(0), MaxValueValidator(6)]
# 28 so that a monthly run exists in every month.
DAY_OF_MONTH_RANGE = [MinValueValidator(1), MaxValueValidator(28)]
TEMPERATURE_RANGE = [MinValueValidator(0.0), MaxValueValidator(2.0)]
AT_LEAST_ONE = [MinValueValidator(1)]

validate_http_url = URLValidator(schemes=["http", "https"], message="Enter a valid http(s) URL.")


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def validate_timezone(value: str) -> None:
    """An IANA time zone name such as ``Europe/Berlin`` or ``UTC``."""
    if value not in _time_zones():
        raise ValidationError(
            "%(value)r is not an IANA time zone (for example Europe/Berlin).",
            code="invalid_timezone",
            params={"value": value},
        )


@deconstructible
class GreaterThanValidator:
    """Strictly greater than a bound (``MinValueValidator`` includes its bound).

    Migrations refer to it (``projects`` 0001), so it stays importable from here.
    """

    def __init__(self, bound: float):
        self.bound = bound

    def __call__(self, value):
        if value is not None and not value > self.bound:
            raise ValidationError(
                "Ensure this value is greater than %(bound)s.", code="min_value", params={"bound": self.bound}
            )

    def __eq__(self, other):
        return isinstance(other, GreaterThanValidator) and other.bound == self.bound

    def __hash__(self):
        return hash(("gt", self.bound))


# --- Embedded documents ------------------------------------------------------------


def _embedded_fields(model) -> list[models.Field]:
    kinds = EmbeddedModelField | EmbeddedModelArrayField
    return [f for f in model._meta.concrete_fields if isinstance(f, kinds)]


def _add(errors: dict[str, list[str]], path: str, messages) -> None:
    errors.setdefault(path, []).extend(str(m) for m in messages)


def _by_field(exc: ValidationError) -> dict[str, list[str]]:
    """Messages of a ValidationError by field, whether it was raised with a dict or not."""
    return {key: [m for e in errs for m in e.messages] for key, errs in exc.update_error_dict({}).items()}


def _join(prefix: str, key: str) -> str:
    if key == NON_FIELD_ERRORS:
        return prefix or NON_FIELD_ERRORS
    return f"{prefix}.{key}" if prefix else key


def _children(field, value) -> tuple[list[tuple[str, object]], list[str]]:
    """The embedded instances held by ``field`` (with their path suffix), and type errors."""
    if isinstance(field, EmbeddedModelArrayField):
        if not isinstance(value, list | tuple):
            return [], ["Expected a list of embedded documents."]
        if field.max_size and len(value) > field.max_size:
            return [], [f"Keep at most {field.max_size} entries."]
        pairs = [(f"[{i}]", item) for i, item in enumerate(value)]
        model = field.base_field.embedded_model
    else:
        pairs = [("", value)]
        model = field.embedded_model
    bad = [suffix or field.name for suffix, item in pairs if not isinstance(item, model)]
    if bad:
        return [], [f"Expected {model.__name__} documents ({', '.join(bad)})."]
    return pairs, []


def _field_errors(field, value, path: str) -> dict[str, list[str]]:
    """Errors of one embedded-document field and of the documents it holds."""
    errors: dict[str, list[str]] = {}
    if value in field.empty_values:
        if value is None and not field.null:
            _add(errors, path, ["This field cannot be null."])
        elif not field.blank:
            _add(errors, path, ["This field cannot be blank."])
        return errors
    children, type_errors = _children(field, value)
    if type_errors:
        _add(errors, path, type_errors)
    for suffix, child in children:
        for key, messages in _collect(child, prefix=path + suffix).items():
            _add(errors, key, messages)
    return errors


def _collect(instance, exclude=(), prefix: str = "", with_clean: bool = True) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    exclude = set(exclude or ())
    embedded = [f for f in _embedded_fields(type(instance)) if f.name not in exclude]
    try:
        models.Model.clean_fields(instance, exclude=exclude | {f.name for f in embedded})
    except ValidationError as exc:
        for key, messages in _by_field(exc).items():
            _add(errors, _join(prefix, key), messages)
    for field in embedded:
        path = _join(prefix, field.name)
        for key, messages in _field_errors(field, getattr(instance, field.attname), path).items():
            _add(errors, key, messages)
    if with_clean:
        try:
            instance.clean()
        except ValidationError as exc:
            for key, messages in _by_field(exc).items():
                _add(errors, _join(prefix, key), messages)
    return errors


def validation_errors(instance) -> dict[str, list[str]]:
    """Field and ``clean()`` errors of ``instance`` and its embedded documents, by dotted path.

    Keys look like ``name``, ``config.llm.temperature``, ``targets[2].progress``
    or ``__all__``; an empty dict means the document is valid. Uniqueness is
    not checked here (``full_clean()`` does, and the database enforces it).
    """
    return _collect(instance)


def _split(path: str) -> tuple[str, str]:
    """``config.llm.temperature`` -> (``config``, ``llm.temperature``)."""
    top, sep, rest = re.match(r"^([^.\[]*)([.\[]?)(.*)$", path).groups()
    return top, ("[" + rest if sep == "[" else rest)


def _clean_fields(instance, exclude) -> None:
    flat = _collect(instance, exclude=exclude, with_clean=False)
    if not flat:
        return
    grouped: dict[str, list[str]] = {}
    for path, messages in flat.items():
        top, rest = _split(path)
        _add(grouped, top, [f"{rest}: {m}" if rest else m for m in messages])
    raise ValidationError(grouped)


class ValidatedModel(models.Model):
    """A collection whose embedded documents are validated by ``full_clean()``."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None):
        _clean_fields(self, exclude)


class ValidatedEmbeddedModel(EmbeddedModel):
    """An embedded document whose own embedded documents are validated too."""

    class Meta:
        abstract = True
        # An embedded document has no collection of its own: migrations must not create
        # one, and test flushes must not visit one. Nor is it edited on its own, so it
        # needs no add/change/delete/view permissions.
        managed = False
        default_permissions = ()

    def clean_fields(self, exclude=None):
        _clean_fields(self, exclude)


def add_form_errors(form, exc: ValidationError) -> None:
    """Put a model's or a service's ``ValidationError`` on ``form``: each field's messages on
    that field when the form has it, the rest on the form as a whole."""
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)
