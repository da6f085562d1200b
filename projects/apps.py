from django.apps import AppConfig

from accounts.signals import user_erasing


class ProjectsConfig(AppConfig):
    name = "projects"

    def ready(self):
        # These modules import the models, which load only once the app registry is ready.
        from accounts import forms as account_forms  # noqa: PLC0415 - app registry
        from projects import presets, schedules  # noqa: PLC0415 - app registry

        user_erasing.connect(schedules.on_user_erasing, dispatch_uid="erase-schedules")
        account_forms.provide_preset_choices(presets.preset_choices)
