"""AppConfigs of contrib and third-party apps, switched to ObjectId primary keys.

Their own AppConfigs hard-code ``AutoField``, which MongoDB cannot serve; their
migrations are generated inside this project (see ``MIGRATION_MODULES``).
"""

from allauth.account.apps import AccountConfig
from allauth.socialaccount.apps import SocialAccountConfig
from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig
from django_celery_beat.apps import BeatConfig

OBJECT_ID = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    default_auto_field = OBJECT_ID
    default_site = "sentimatrix.admin_site.SentimatrixAdminSite"


class MongoAuthConfig(AuthConfig):
    default_auto_field = OBJECT_ID


class MongoContentTypesConfig(ContentTypesConfig):
    default_auto_field = OBJECT_ID


class MongoAccountConfig(AccountConfig):
    default_auto_field = OBJECT_ID


class MongoSocialAccountConfig(SocialAccountConfig):
    default_auto_field = OBJECT_ID


class MongoBeatConfig(BeatConfig):
    default_auto_field = OBJECT_ID


class SentimatrixConfig(AppConfig):
    """The project package itself: operator commands and platform tasks."""

    name = "sentimatrix"
    verbose_name = "Sentimatrix Studio"
