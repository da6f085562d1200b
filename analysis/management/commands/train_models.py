"""``manage.py train_models``: rebuild the local engine's trained models (a development step:
needs scikit-learn from requirements-dev.txt and the shared training data)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from analysis.engine.trained import MODELS_DIR
from analysis.training.data import SOURCES


class Command(BaseCommand):
    help = (
        "Train the local sentiment models (8 languages) and the GoEmotions emotion model from the shared "
        "training data, removing every text of the evaluation sets first; write arrays and JSON (no pickle)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sources",
            default=",".join(SOURCES),
            help=f"comma-separated training sources to use (default: all of {','.join(SOURCES)}); leave one "
            "out when its license does not suit you: the models it alone feeds are not built",
        )
        parser.add_argument(
            "--out",
            default=str(MODELS_DIR),
            help="folder to write the artifacts to (default: the committed analysis/engine/models/)",
        )
        parser.add_argument(
            "--data",
            default=str(settings.SHARED_DATA_DIR),
            help="the shared data folder (default: settings.SHARED_DATA_DIR)",
        )
        parser.add_argument(
            "--limit", type=int, default=0, help="use only N rows of each source (quick trials)"
        )

    def handle(self, *args, **opts):
        try:
            from analysis.training.train import train  # noqa: PLC0415 - needs scikit-learn (dev only)
        except ImportError as exc:  # scikit-learn is a development dependency
            raise CommandError(f"training needs the development requirements ({exc})") from exc
        sources = tuple(s.strip() for s in opts["sources"].split(",") if s.strip())
        unknown = sorted(set(sources) - set(SOURCES))
        if unknown or not sources:
            raise CommandError(f"unknown or no source(s) {unknown}; choose from {', '.join(SOURCES)}")
        data_dir = Path(opts["data"])
        if not (data_dir / "training").is_dir():
            raise CommandError(f"no training data under {data_dir}")
        manifest = train(data_dir, Path(opts["out"]), sources, log=self.stdout.write, limit=opts["limit"])
        size = sum(m["bytes"] for m in manifest["models"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(manifest['models'])} model(s), {size / 1e6:.1f} MB: {', '.join(sorted(manifest['models']))}"
            )
        )
