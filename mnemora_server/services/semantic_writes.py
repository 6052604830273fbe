"""The rules of a semantic write, written once for every backend.

A client id upserts; otherwise a draft whose content is already stored, or whose vector is
nearer than the threshold to one that is, merges into that memory (its metadata on top of
the stored metadata); and the tenant's vectors stay within its tier. Stores run
:meth:`SemanticWriteRules.apply` inside the transaction (or lock) that serialises writers of
the same agent and namespace, so these decisions are race-free across processes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

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
        results = [self._write(tx, draft) for draft in drafts]
        if self.max_vectors is not None:
            vectors = tx.vector_count()
            if vectors > self.max_vectors:
                raise QuotaExceededError(
                    f"the tier allows {self.max_vectors} vectors; this write would make {vectors}",
                    details={"limit": self.max_vectors, "would_be": vectors},
                )
        return results

    def _write(self, tx: SemanticTransaction, draft: SemanticDraft) -> SemanticWrite:
        if draft.id is not None:
            current = tx.find(draft.id)
            if current is not None:
                record = tx.put(draft.id, draft, draft.metadata, current.created_at)
                return SemanticWrite(record, deduplicated=False, created=False)
        elif draft.dedup:
            duplicate = self.duplicate_of(tx, draft)
            current = None if duplicate is None else tx.find(duplicate)
            if current is not None:
                metadata = merged_metadata(current.metadata, draft.metadata)
                record = tx.put(current.id, draft, metadata, current.created_at)
                return SemanticWrite(record, deduplicated=True, created=False)
        record_id = draft.id or str(uuid.uuid4())
        record = tx.put(record_id, draft, draft.metadata, draft.created_at or tx.now)
        return SemanticWrite(record, deduplicated=False, created=True)

    def duplicate_of(self, tx: SemanticTransaction, draft: SemanticDraft) -> str | None:
        """The stored memory that ``draft`` repeats: the same text, or (for a draft with one
        vector) a vector more similar than the threshold; ``None`` if there is none."""
        same = tx.with_content(draft.agent_id, draft.namespace, content_hash(draft.content))
        if same is not None or draft.embedding is None:
            return same
        nearest = tx.nearest(draft.agent_id, draft.namespace, draft.embedding)
        if nearest is None or nearest[1] <= self.dedup_threshold:
            return None
        return nearest[0]


def merged_metadata(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """A duplicate's metadata merged into the stored memory's: the newer keys win."""
    return {**stored, **incoming}
