from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # Receivers and registrations need the models, which load only once the app registry is ready.
        from accounts import allauth_compat, receivers, vault  # noqa: F401, PLC0415 - receivers connect on import
        from sentimatrix import crypto  # noqa: PLC0415 - app registry

        allauth_compat.install()
        crypto.register_rotation("API keys", vault.rotate_all)
