"""Vocabularies and sparse feature matrices for training, built with the inference featuriser
(:func:`analysis.engine.trained.ngram_keys`), so that training and inference see the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from analysis.engine.trained import KeyIndex, feature_matrix, ngram_keys

CHUNK = 4000


def _unique_keys(texts: list[str]) -> list[np.ndarray]:
    """Per chunk of texts, the (row, key) pairs with duplicates inside a text removed."""
    out = []
    for start in range(0, len(texts), CHUNK):
        rows, keys, _ = ngram_keys(texts[start : start + CHUNK])
        cells = np.unique((rows + start).astype(np.uint64) << np.uint64(32) | keys.astype(np.uint64))
        out.append(cells)
    return out


@dataclass
class Vocabulary:
    """Sorted n-gram keys (uint32) and their smoothed idf (float32)."""

    keys: np.ndarray
    idf: np.ndarray

    @classmethod
    def fit(cls, texts: list[str], min_df: int = 2, max_features: int = 0) -> Vocabulary:
        """Keys present in at least ``min_df`` texts; with ``max_features``, the most frequent of
        them (ties broken by key, so the choice is deterministic)."""
        cells = np.concatenate(_unique_keys(texts)) if texts else np.zeros(0, np.uint64)
        keys, df = np.unique((cells & np.uint64(0xFFFFFFFF)).astype(np.uint32), return_counts=True)
        keep = df >= min_df
        keys, df = keys[keep], df[keep]
        if max_features and len(keys) > max_features:
            order = np.lexsort((keys, -df))[:max_features]
            order.sort()
            keys, df = keys[order], df[order]
        idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
        return cls(keys.astype(np.uint32), idf.astype(np.float32))

    def transform(self, texts: list[str]) -> sparse.csr_matrix:
        """The feature matrix of ``texts`` (rows in order)."""
        parts = []
        index = KeyIndex(self.keys)
        for start in range(0, len(texts), CHUNK):
            chunk = texts[start : start + CHUNK]
            r, c, v, _ = feature_matrix(*ngram_keys(chunk), index, self.idf)
            parts.append(sparse.csr_matrix((v, (r, c)), shape=(len(chunk), len(self.keys)), dtype=np.float32))
        if not parts:
            return sparse.csr_matrix((0, len(self.keys)), dtype=np.float32)
        return sparse.vstack(parts, format="csr")
