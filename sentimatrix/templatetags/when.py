"""Template filters writing every date and time of the product one way (:mod:`sentimatrix.when`).

``{{ value|when }}`` gives ``<time datetime="2026-12-07T08:30:00+01:00">7 Dec 2026, 08:30</time>``,
``{{ value|day }}`` the date alone, ``{{ value|ago }}`` "3 hours ago" with the full date as its
title. Options, comma-separated: ``seconds``, ``zone`` (the zone's abbreviation) and ``text``
(no element: for plain-text emails and attributes). An empty value gives an empty string, so
``|default:"never"`` works after them. Installed as a template builtin (``TEMPLATES`` in the
settings): no ``{% load %}`` needed.
"""

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils import timezone
from django.utils.html import format_html

from sentimatrix import when as formats

register = template.Library()


def _options(arg) -> set[str]:
    return {part.strip() for part in (arg or "").split(",") if part.strip()}


def _element(value, text: str, options: set[str], *, day: bool = False, title: str = ""):
    if not text:
        return ""
    if "text" in options:
        return text
    machine = formats.machine_value(value, day=day)
    if title:
        return format_html('<time datetime="{}" title="{}">{}</time>', machine, title, text)
    return format_html('<time datetime="{}">{}</time>', machine, text)


@register.filter(name="when")
def when_filter(value, arg=""):
    """Date and time in the active time zone: "7 Dec 2026, 08:30"."""
    options = _options(arg)
    text = formats.format_when(value, seconds="seconds" in options, zone="zone" in options)
    return _element(value, text, options)


@register.filter(name="day")
def day_filter(value, arg=""):
    """The date alone in the active time zone: "7 Dec 2026"."""
    options = _options(arg)
    return _element(value, formats.format_day(value), options, day=True)


@register.filter(name="ago")
def ago_filter(value, arg=""):
    """How long ago ("3 hours ago"), the full date and time as the element's title."""
    options = _options(arg)
    moment = formats.as_moment(value)
    if moment is None:
        return ""
    return _element(value, naturaltime(moment), options, title=formats.format_when(moment))


@register.simple_tag(name="when_now")
def when_now(arg=""):
    """The present moment written like :func:`when_filter` (a report's "generated at")."""
    return when_filter(timezone.now(), arg)
