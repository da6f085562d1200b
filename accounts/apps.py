from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # Receivers and registrations need the models: they load once the app registry is ready.
        from accounts import allauth_compat, signals, vault  # noqa: F401 - signals connects its receivers
        from sentimatrix import crypto

        allauth_compat.install()
        crypto.register_rotation("API keys", vault.rotate_all)
