"""The rules of a semantic write, written once for every backend.

A client id upserts; otherwise a draft whose content is already stored, or whose vector is
nearer than the threshold to one that is, merges into that memory (its metadata on top of
the stored metadata); and the tenant's vectors stay within its tier. Stores run
:meth:`SemanticWriteRules.apply` inside the transaction (or lock) that serialises writers of
the same agent and namespace, so these decisions are race-free across processes.
"""

from __future__ import annotations

import functools
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mnemora_server.errors import QuotaExceededError
from mnemora_server.stores.base import (
    SemanticDraft,
    SemanticTransaction,
    SemanticWrite,
    content_hash,
)

DEDUP_THRESHOLD = 0.95
"""Cosine similarity above which two memories of one agent and namespace are the same."""


@dataclass(frozen=True)
class SemanticWriteRules:
    """Upsert by id, merge near-duplicates, keep the vector quota.

    Attributes:
        max_vectors: The tenant's vector quota (``None``: unlimited).
        dedup_threshold: Cosine similarity above which a draft merges into a stored memory.
    """

    max_vectors: int | None
    dedup_threshold: float = DEDUP_THRESHOLD

    def apply(self, tx: SemanticTransaction, drafts: list[SemanticDraft]) -> list[SemanticWrite]:
        """Write every draft through ``tx``.

        Raises:
            QuotaExceededError: The tenant would hold more vectors than its quota.
        """
        neighbours = _Neighbours(tx, drafts)
        results = []
        for position, draft in enumerate(drafts):
            written = self._write(tx, draft, functools.partial(neighbours.nearest, position))
            neighbours.wrote(written.record.id, draft)
            results.append(written)
        if self.max_vectors is not None:
            vectors = tx.vector_count()
            if vectors > self.max_vectors:
                raise QuotaExceededError(
                    f"the tier allows {self.max_vectors} vectors; this write would make {vectors}",
                    details={"limit": self.max_vectors, "would_be": vectors},
                )
        return results

    def _write(
        self, tx: SemanticTransaction, draft: SemanticDraft, nearest: _Nearest
    ) -> SemanticWrite:
        if draft.id is not None:
            current = tx.find(draft.id)
            if current is not None:
                record = tx.put(draft.id, draft, draft.metadata, current.created_at)
                return SemanticWrite(record, deduplicated=False, created=False)
        elif draft.dedup:
            duplicate = self.duplicate_of(tx, draft, nearest)
            current = None if duplicate is None else tx.find(duplicate)
            if current is not None:
                metadata = merged_metadata(current.metadata, draft.metadata)
                record = tx.put(current.id, draft, metadata, current.created_at)
                return SemanticWrite(record, deduplicated=True, created=False)
        record_id = draft.id or str(uuid.uuid4())
        record = tx.put(record_id, draft, draft.metadata, draft.created_at or tx.now)
        return SemanticWrite(record, deduplicated=False, created=True)

    def duplicate_of(
        self, tx: SemanticTransaction, draft: SemanticDraft, nearest: _Nearest
    ) -> str | None:
        """The stored memory that ``draft`` repeats: the same text, or (for a draft with one
        vector) a vector more similar than the threshold, as ``nearest`` finds it; ``None``
        if there is none."""
        same = tx.with_content(draft.agent_id, draft.namespace, content_hash(draft.content))
        if same is not None or draft.embedding is None:
            return same
        found = nearest(draft)
        if found is None or found[1] <= self.dedup_threshold:
            return None
        return found[0]


_Nearest = Callable[[SemanticDraft], "tuple[str, float] | None"]


class _Neighbours:
    """The nearest stored vector of every draft of a batch that looks for near-duplicates,
    found for the whole batch in one pass before it writes anything, and kept exact while it
    writes: a draft is also compared with what the batch wrote before it, and one whose
    nearest stored record the batch has rewritten since asks the transaction again."""

    def __init__(self, tx: SemanticTransaction, drafts: list[SemanticDraft]) -> None:
        self._tx = tx
        scopes: dict[tuple[str, str], list[int]] = defaultdict(list)
        for position, draft in enumerate(drafts):
            if draft.id is None and draft.dedup and draft.embedding is not None:
                scopes[(draft.agent_id, draft.namespace)].append(position)
        self._before: dict[int, tuple[str, float] | None] = {}
        if sum(len(positions) for positions in scopes.values()) > 1:  # one: nothing to share
            for (agent_id, namespace), positions in scopes.items():
                vectors = [drafts[p].embedding for p in positions]
                found = tx.nearest_many(agent_id, namespace, vectors)
                self._before.update(zip(positions, found, strict=True))
        # What the batch has written so far: each record's agent and namespace, and by those,
        # each record's vectors (also as one matrix, rebuilt after a write).
        self._scope_of: dict[str, tuple[str, str]] = {}
        self._written: dict[tuple[str, str], dict[str, np.ndarray[Any, Any]]] = defaultdict(dict)
        self._stacked: dict[tuple[str, str], tuple[list[str], np.ndarray[Any, Any]]] = {}

    def nearest(self, position: int, draft: SemanticDraft) -> tuple[str, float] | None:
        """The record nearest to the draft now (its id and cosine similarity), or ``None``."""
        if position not in self._before:
            return self._tx.nearest(draft.agent_id, draft.namespace, draft.embedding)
        best = self._before[position]
        if best is not None and best[0] in self._scope_of:
            return self._tx.nearest(draft.agent_id, draft.namespace, draft.embedding)
        scope = (draft.agent_id, draft.namespace)
        if not self._written.get(scope):
            return best
        owners, vectors = self._stacked_rows(scope)
        similarities = vectors @ draft.embedding
        row = int(np.argmax(similarities))
        if best is None or similarities[row] > best[1]:
            best = (owners[row], float(similarities[row]))
        return best

    def _stacked_rows(self, scope: tuple[str, str]) -> tuple[list[str], np.ndarray[Any, Any]]:
        """Every vector the batch wrote in ``scope`` as one matrix, and each row's record."""
        if scope not in self._stacked:
            written = self._written[scope]
            owners = [record_id for record_id, rows in written.items() for _ in range(len(rows))]
            self._stacked[scope] = (owners, np.concatenate(list(written.values())))
        return self._stacked[scope]

    def wrote(self, record_id: str, draft: SemanticDraft) -> None:
        """Note that ``record_id`` now holds the draft's vectors (or its chunks')."""
        if not self._before:
            return
        scope = (draft.agent_id, draft.namespace)
        earlier = self._scope_of.get(record_id)
        if earlier is not None:
            self._written[earlier].pop(record_id, None)
            self._stacked.pop(earlier, None)
        self._scope_of[record_id] = scope
        vectors = [draft.embedding] if draft.embedding is not None else [v for _, v in draft.chunks]
        if vectors:
            self._written[scope][record_id] = np.asarray(vectors, dtype=np.float32).reshape(
                len(vectors), -1
            )
            self._stacked.pop(scope, None)


def merged_metadata(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """A duplicate's metadata merged into the stored memory's: the newer keys win."""
    return {**stored, **incoming}
