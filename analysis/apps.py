from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "analysis"

    def ready(self):
        # These modules import the models, which load only once the app registry is ready.
        from projects import capabilities  # noqa: PLC0415 - app registry

        # The pages that say which engine produces what ask the local engine what it cannot do
        # in this installation (an untrained emotion model); projects cannot import this app.
        capabilities.register_local_check("local engine", _local_engine_cannot)


def _local_engine_cannot(options) -> dict[str, str]:
    # Imported on first use: the engine loads numpy and its models' manifest, which a process
    # that never shows these pages (a worker, a command) need not pay for at start.
    from analysis.engine.local import LocalEngine  # noqa: PLC0415 - deferred, see above

    return LocalEngine().unsupported(options)
