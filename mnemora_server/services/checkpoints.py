"""Checkpoints of agent graphs: the rules of LangGraph's checkpointer over a CheckpointStore.

``get`` without a checkpoint id answers the thread's latest; listings run newest first with
LangGraph's filters (thread, namespace, ``before``, top-level metadata equality, ``limit``) and
are paged by count and by bytes, so a thread of 2 MB checkpoints never makes one huge answer.
Pruning keeps each namespace's latest checkpoint; a run's checkpoints are found by the
``run_id`` of their metadata.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mnemora_server.errors import ValidationError
from mnemora_server.services.cursors import decode_cursor, encode_cursor
from mnemora_server.stores.base.checkpoints import (
    Blob,
    CheckpointQuery,
    CheckpointRecord,
    CheckpointStore,
    CheckpointTuple,
    PendingWrite,
    sort_key,
)

__all__ = [
    "PAGE_BYTES",
    "CheckpointPage",
    "CheckpointQuery",
    "CheckpointService",
    "matches_metadata",
]

PAGE_BYTES = 8 * 1024 * 1024
"""A listing page stops after the checkpoint that brings it past this many bytes of values."""

_SCAN = 200


@dataclass(frozen=True)
class CheckpointPage:
    """Checkpoints of a listing and the cursor to the next page (``None``: no more)."""

    tuples: list[CheckpointTuple]
    next_cursor: str | None


def matches_metadata(metadata: dict[str, Any], wanted: dict[str, Any] | None) -> bool:
    """Whether every key of ``wanted`` has that value in ``metadata`` (JSON equality)."""
    return not wanted or all(metadata.get(key) == value for key, value in wanted.items())


class CheckpointService:
    """The checkpointer's operations, scoped by tenant and agent.

    Args:
        store: Where checkpoints live.
        clock: The time source.
    """

    def __init__(self, store: CheckpointStore, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    def put(
        self,
        tenant_id: str,
        agent_id: str,
        *,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint: dict[str, Any],
        metadata: dict[str, Any],
        parent_checkpoint_id: str | None,
        blobs: list[Blob],
    ) -> CheckpointRecord:
        """Store a checkpoint and the values of the channels it changed.

        Raises:
            ValidationError: The checkpoint has no string ``id``, or its channel versions
                are not an object.
        """
        checkpoint_id = checkpoint.get("id")
        if not isinstance(checkpoint_id, str) or not checkpoint_id:
            raise ValidationError("checkpoint.id must be a non-empty string")
        versions = checkpoint.get("channel_versions", {})
        if not isinstance(versions, dict):
            raise ValidationError("checkpoint.channel_versions must be an object")
        record = CheckpointRecord(
            thread_id=thread_id,
            checkpoint_ns=checkpoint_ns,
            checkpoint_id=checkpoint_id,
            parent_checkpoint_id=parent_checkpoint_id,
            checkpoint={k: v for k, v in checkpoint.items() if k != "channel_values"},
            metadata=metadata,
            created_at=self._clock(),
        )
        self._store.put(tenant_id, agent_id, record, blobs)
        return record

    def put_writes(
        self,
        tenant_id: str,
        agent_id: str,
        *,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str,
        writes: list[PendingWrite],
    ) -> None:
        """Store the pending writes of one task after one checkpoint."""
        self._store.put_writes(tenant_id, agent_id, thread_id, checkpoint_ns, checkpoint_id, writes)

    def get(
        self,
        tenant_id: str,
        agent_id: str,
        *,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str | None,
    ) -> CheckpointTuple | None:
        """One checkpoint by id, or the latest of the thread and namespace; ``None`` if none."""
        query = CheckpointQuery(
            thread_id=thread_id, checkpoint_ns=checkpoint_ns, checkpoint_id=checkpoint_id
        )
        record = next(iter(self._store.records(tenant_id, agent_id, query, 1)), None)
        return None if record is None else self._with_values(tenant_id, agent_id, record)

    def list_checkpoints(
        self,
        tenant_id: str,
        agent_id: str,
        query: CheckpointQuery,
        *,
        metadata_filter: dict[str, Any] | None,
        limit: int,
        cursor: str | None,
    ) -> CheckpointPage:
        """A page of at most ``limit`` checkpoints matching the query, newest first."""
        position = decode_cursor(cursor, kind="checkpoints")
        if position is not None:
            after = position.get("after")
            if not (isinstance(after, list) and len(after) == 3):
                raise ValidationError("invalid cursor", details={"field": "cursor"})
            query = CheckpointQuery(
                query.thread_id,
                query.checkpoint_ns,
                query.checkpoint_id,
                query.before,
                (str(after[0]), str(after[1]), str(after[2])),
            )
        found: list[CheckpointTuple] = []
        size = 0
        last: CheckpointRecord | None = None
        for record in self._matching(tenant_id, agent_id, query, metadata_filter):
            if len(found) == limit or size > PAGE_BYTES:
                assert last is not None
                next_cursor = encode_cursor({"k": "checkpoints", "after": list(sort_key(last))})
                return CheckpointPage(found, next_cursor)
            item = self._with_values(tenant_id, agent_id, record)
            found.append(item)
            size += sum(len(b.data) for b in item.blobs) + sum(len(w.data) for w in item.writes)
            last = record
        return CheckpointPage(found, None)

    def _matching(
        self,
        tenant_id: str,
        agent_id: str,
        query: CheckpointQuery,
        metadata_filter: dict[str, Any] | None,
    ) -> Iterator[CheckpointRecord]:
        """Every checkpoint of the query passing the metadata filter, newest first."""
        while True:
            records = list(self._store.records(tenant_id, agent_id, query, _SCAN))
            for record in records:
                if matches_metadata(record.metadata, metadata_filter):
                    yield record
            if len(records) < _SCAN:
                return
            query = CheckpointQuery(
                query.thread_id,
                query.checkpoint_ns,
                query.checkpoint_id,
                query.before,
                sort_key(records[-1]),
            )

    def _with_values(
        self, tenant_id: str, agent_id: str, record: CheckpointRecord
    ) -> CheckpointTuple:
        blobs, writes = self._store.values(tenant_id, agent_id, record)
        return CheckpointTuple(record, blobs, writes)

    def delete_threads(self, tenant_id: str, agent_id: str, thread_ids: list[str]) -> int:
        """Delete threads with everything they hold; return checkpoints deleted."""
        return self._store.delete_threads(tenant_id, agent_id, thread_ids)

    def copy_thread(self, tenant_id: str, agent_id: str, source: str, target: str) -> int:
        """Copy a thread's checkpoints, values and writes into another thread."""
        if source == target:
            raise ValidationError("source and target threads must differ")
        return self._store.copy_thread(tenant_id, agent_id, source, target)

    def prune(
        self, tenant_id: str, agent_id: str, thread_ids: list[str], *, keep_latest: bool
    ) -> int:
        """Delete the threads' checkpoints, keeping each namespace's latest if asked."""
        if not keep_latest:
            return self._store.delete_threads(tenant_id, agent_id, thread_ids)
        doomed: list[tuple[str, str, str]] = []
        for thread_id in thread_ids:
            seen: set[str] = set()
            for record in self._matching(
                tenant_id, agent_id, CheckpointQuery(thread_id=thread_id), None
            ):
                if record.checkpoint_ns in seen:  # newest first: the first one is kept
                    doomed.append(_key(record))
                seen.add(record.checkpoint_ns)
        return self._store.delete_checkpoints(tenant_id, agent_id, doomed) if doomed else 0

    def delete_runs(self, tenant_id: str, agent_id: str, run_ids: list[str]) -> int:
        """Delete the checkpoints (and their writes) whose metadata names one of the runs."""
        wanted = set(run_ids)
        doomed = [
            _key(record)
            for record in self._matching(tenant_id, agent_id, CheckpointQuery(), None)
            if record.metadata.get("run_id") in wanted
        ]
        return self._store.delete_checkpoints(tenant_id, agent_id, doomed) if doomed else 0


def _key(record: CheckpointRecord) -> tuple[str, str, str]:
    return (record.thread_id, record.checkpoint_ns, record.checkpoint_id)
