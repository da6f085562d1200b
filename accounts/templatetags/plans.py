"""``{{ message|plan_links }}``: a refusal at a plan limit, with "upgrade your plan" linking to
the plans page (what each plan allows, what is used, how to change)."""

import re

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from accounts.plans import UPGRADE_PHRASE

register = template.Library()

_PHRASE = re.compile(re.escape(UPGRADE_PHRASE), re.IGNORECASE)


@register.filter
def plan_links(text) -> str:
    """``text`` escaped, with each mention of upgrading the plan made a link to the plans page."""
    escaped = str(conditional_escape(text))
    if not _PHRASE.search(escaped):
        return mark_safe(escaped)  # noqa: S308 - escaped above
    url = reverse("accounts:plans")
    return mark_safe(_PHRASE.sub(lambda m: f'<a href="{url}">{m.group(0)}</a>', escaped))  # noqa: S308
