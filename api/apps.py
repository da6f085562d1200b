from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "REST API"

    def ready(self):
        # Registers the OpenAPI description of the token authentication (it needs the models).
        from api import schema  # noqa: F401, PLC0415 - app registry
