"""Analysis engines: the interface (:mod:`.base`) and the local, offline engine (:mod:`.local`).
Pure Python: importing this package needs no Django settings, database or network."""

from analysis.engine.base import AnalysisItem, AnalysisOptions, Engine, ItemAnalysis
from analysis.engine.local import LocalEngine

__all__ = ["AnalysisItem", "AnalysisOptions", "Engine", "ItemAnalysis", "LocalEngine"]
