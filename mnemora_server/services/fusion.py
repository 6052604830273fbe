"""Fusing the vector and keyword legs of a search into one ranking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mnemora_server.stores.base import SemanticHit, SemanticRecord

RRF_K = 60
"""The constant of reciprocal-rank fusion: a hit at rank ``r`` of a leg scores
``1 / (RRF_K + r + 1)``."""


@dataclass(frozen=True)
class ScoredMemory:
    """A search result with its scores.

    Attributes:
        record: The memory (or chunk).
        similarity: Cosine similarity to the query, when known.
        score: The fused ranking score (higher first).
        matched: How it matched: ``vector``, ``keyword`` or both.
    """

    record: SemanticRecord
    similarity: float | None
    score: float
    matched: tuple[str, ...]


def fuse(
    vector_hits: list[SemanticHit], keyword_hits: list[SemanticHit], top_k: int
) -> list[ScoredMemory]:
    """Reciprocal-rank fusion; with one list, its own order and scores are kept."""
    if not keyword_hits:
        return [
            ScoredMemory(h.record, h.similarity, h.similarity or 0.0, ("vector",))
            for h in vector_hits[:top_k]
        ]
    if not vector_hits:
        return [
            ScoredMemory(h.record, None, h.keyword_score or 0.0, ("keyword",))
            for h in keyword_hits[:top_k]
        ]
    fused: dict[str, dict[str, Any]] = {}
    for kind, hits in (("vector", vector_hits), ("keyword", keyword_hits)):
        for rank, hit in enumerate(hits):
            entry = fused.setdefault(
                hit.record.id,
                {"record": hit.record, "similarity": None, "score": 0.0, "matched": []},
            )
            entry["score"] += 1.0 / (RRF_K + rank + 1)
            entry["matched"].append(kind)
            if hit.similarity is not None:
                entry["similarity"] = hit.similarity
    ranked = sorted(fused.values(), key=lambda e: e["score"], reverse=True)[:top_k]
    return [
        ScoredMemory(e["record"], e["similarity"], round(e["score"], 6), tuple(e["matched"]))
        for e in ranked
    ]
