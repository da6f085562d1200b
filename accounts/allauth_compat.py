"""ObjectId primary keys in allauth's URL-safe user ids.

allauth turns integer primary keys into base-36 strings and treats every
IntegerField subclass as an integer; ObjectIdAutoField is one, yet its values
are ObjectIds. The login-state serialiser and password reset links then crash.
The patched pair keeps ObjectIds as their 24-hex-digit strings.
"""

from allauth.account import forms, utils
from bson import ObjectId
from bson.errors import InvalidId


def user_pk_to_url_str(user) -> str:
    return str(user.pk)


def url_str_to_user_pk(pk_str: str):
    try:
        return ObjectId(pk_str)
    except (InvalidId, TypeError):
        # A malformed id in a link: no user has it; allauth then answers "invalid link".
        return None


def install() -> None:
    """Patch allauth (its forms module imports the models: call this once the apps are ready)."""
    utils.user_pk_to_url_str = user_pk_to_url_str
    utils.url_str_to_user_pk = url_str_to_user_pk
    forms.url_str_to_user_pk = url_str_to_user_pk
