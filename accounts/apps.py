from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import allauth_compat, signals  # noqa: F401 - connects the receivers

        allauth_compat.install()
