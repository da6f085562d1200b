"""The local engine first, the project's LLM for what it leaves: results in languages no local
model covers. Chosen when a project's LLM scope is "unsupported languages" (see
:func:`analysis.engine.factory.engine_for_project`): the LLM is paid only where the local
engine would not guess."""

from __future__ import annotations

from analysis.engine.base import AnalysisItem, AnalysisOptions, Engine, ItemAnalysis
from analysis.engine.llm.budget import BudgetExceeded
from analysis.engine.llm.engine import LLMEngine
from analysis.engine.local import LocalEngine


class HybridEngine(Engine):
    """Local analysis, with the results it abstains on analysed by ``llm``."""

    name = "local"

    def __init__(self, local: LocalEngine, llm: LLMEngine):
        self.local = local
        self.llm = llm

    @property
    def usage(self):
        return self.llm.usage

    def unsupported(self, config: AnalysisOptions) -> dict[str, str]:
        return self.local.unsupported(config)

    def analyze(self, items: list[AnalysisItem], config: AnalysisOptions) -> dict[str, ItemAnalysis]:
        """Analyse ``items`` locally, then send the ones left unanalysed for their language to
        the LLM. A spent budget keeps the local answers (those items stay marked unsupported)."""
        results = self.local.analyze(items, config)
        left = [item for item in items if results[item.id].analysis.get("unsupported_language")]
        if not left:
            return results
        try:
            results.update(self.llm.analyze(left, config))
        except BudgetExceeded as exc:
            exc.results = {**results, **exc.results}
            raise
        return results
