from django.apps import AppConfig

from sentimatrix import crypto


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # These modules import the models, which load only once the app registry is ready.
        from accounts import allauth_compat, receivers, vault  # noqa: F401, PLC0415 - receivers connect on import

        allauth_compat.install()
        crypto.register_rotation("API keys", vault.rotate_all)
