"""Run the local engine and the project's LLM engine on the same results; report agreement."""

from bson import ObjectId
from bson.errors import InvalidId
from django.core.management.base import BaseCommand, CommandError

from analysis.engine.base import AnalysisOptions
from analysis.engine.compare import compare, report_lines
from analysis.engine.factory import engine_for_project
from analysis.engine.local import LocalEngine
from analysis.pipeline import RESULT_FIELDS, analysis_items
from projects.llm_usage import uses_llm
from projects.models import Project
from sentimatrix.mongo import collection


class Command(BaseCommand):
    help = (
        "Analyse a project's latest results with the local engine and with the project's LLM engine, "
        "store nothing, and report how far they agree (labels, kappa, scores, emotions), with the "
        "LLM's tokens and cost for the run."
    )

    def add_arguments(self, parser):
        parser.add_argument("project_id")
        parser.add_argument("--sample", type=int, default=200, help="How many of the latest results.")
        parser.add_argument("--examples", type=int, default=10, help="Changed labels to list.")

    def handle(self, *args, **opts):
        try:
            project = Project.objects.get(pk=ObjectId(opts["project_id"]))
        except (InvalidId, Project.DoesNotExist) as exc:
            raise CommandError(f"no project {opts['project_id']}") from exc
        if not uses_llm(project):
            raise CommandError(
                "this project has no LLM engine: choose a provider and one of your API keys in its "
                "analysis settings, then compare"
            )
        if opts["sample"] < 1:
            raise CommandError("--sample must be at least 1")
        docs = list(
            collection("results")
            .find({"project_id": project.pk}, RESULT_FIELDS)
            .sort("created_at", -1)
            .limit(opts["sample"])
        )
        if not docs:
            raise CommandError("this project has no results yet: run a scrape first")
        stored = collection("projects").find_one({"_id": project.pk}, {"config.analysis": 1}) or {}
        config = AnalysisOptions.from_dict((stored.get("config") or {}).get("analysis"))
        llm = engine_for_project(project)
        result = compare(
            ("local", LocalEngine()), ("llm", llm), analysis_items(docs), config, examples=opts["examples"]
        )
        for line in report_lines(result):
            self.stdout.write(line)
        usage = llm.usage
        self.stdout.write(
            f"LLM tokens for this comparison: {usage.prompt_tokens} prompt, {usage.completion_tokens} "
            f"completion, ${usage.cost_usd:.4f}"
        )
