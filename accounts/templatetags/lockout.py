"""``{% retry_after_text %}``: when a client refused by a rate limit may try again."""

from django import template

from accounts import lockout

register = template.Library()


@register.simple_tag(takes_context=True)
def retry_after_text(context) -> str:
    """The sentence "Try again in 3 minutes." for the limit that refused this request."""
    request = context.get("request")
    wait = lockout.request_retry_after(request) if request is not None else None
    if wait is None:
        return "Try again in a minute."
    return f"Try again {lockout.in_minutes(wait)}."
