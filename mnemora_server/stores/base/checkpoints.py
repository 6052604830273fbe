"""Checkpoints of agent graphs (LangGraph's checkpointer): records and the store protocol.

A checkpoint is stored once, without its channel values; each channel value is a *blob* stored
once per ``(channel, version)`` and shared by every checkpoint that holds that version, so a
long message list is not copied into every step. *Pending writes* belong to one checkpoint.
Values are opaque to the server: the client's serializer gives each a type tag and bytes.
Everything is scoped by tenant, agent, thread and checkpoint namespace (``""`` is the root
graph; subgraphs have their own).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mnemora_server.stores.base.common import Store


@dataclass(frozen=True)
class Blob:
    """One channel's value at one version.

    Attributes:
        channel: The channel's name.
        version: The version as JSON text (versions are strings or numbers; the text keeps
            which).
        type: The serializer's type tag (``"empty"``: the channel had no value).
        data: The serialized value.
    """

    channel: str
    version: str
    type: str
    data: bytes


@dataclass(frozen=True)
class PendingWrite:
    """A write a task made after a checkpoint, not yet folded into the next one.

    Attributes:
        task_id: The task.
        idx: Its position among the task's writes; special channels (errors, interrupts,
            resumes, scheduled) have negative indexes and are replaced when written again.
        channel: The channel written.
        type: The serializer's type tag.
        data: The serialized value.
        task_path: The task's path in the graph (orders writes within a step).
    """

    task_id: str
    idx: int
    channel: str
    type: str
    data: bytes
    task_path: str = ""


@dataclass(frozen=True)
class CheckpointRecord:
    """One checkpoint of one thread and namespace.

    Attributes:
        thread_id: The thread (a conversation, a ticket).
        checkpoint_ns: The namespace (``""``: the root graph).
        checkpoint_id: Its id (time-ordered: a later checkpoint has a greater id).
        parent_checkpoint_id: The checkpoint it follows, if any.
        checkpoint: The checkpoint without its channel values (JSON).
        metadata: Its metadata (JSON; filterable by top-level equality).
        created_at: When it was stored.
    """

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    checkpoint: dict[str, Any]
    metadata: dict[str, Any]
    created_at: float

    def channel_versions(self) -> dict[str, str]:
        """Each channel of the checkpoint and its version, as the JSON text blobs are keyed by."""
        versions = self.checkpoint.get("channel_versions") or {}
        return {str(channel): version_key(v) for channel, v in versions.items()}

    @property
    def stored_bytes(self) -> int:
        """What the checkpoint counts toward storage, without its blobs and writes."""
        return len(json.dumps(self.checkpoint)) + len(json.dumps(self.metadata))


RECORD_COLUMNS = (
    "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata,"
    " created_at"
)
"""The columns of a checkpoint row, in the order :func:`record_from_row` reads them (the
same in every SQL backend)."""


def record_from_row(row: Sequence[Any]) -> CheckpointRecord:
    """A :class:`CheckpointRecord` from a row of :data:`RECORD_COLUMNS` (JSON as text)."""
    return CheckpointRecord(
        thread_id=row[0],
        checkpoint_ns=row[1],
        checkpoint_id=row[2],
        parent_checkpoint_id=row[3],
        checkpoint=json.loads(row[4]),
        metadata=json.loads(row[5]),
        created_at=row[6],
    )


@dataclass(frozen=True)
class CheckpointTuple:
    """A checkpoint with the values of its channels and its pending writes.

    Attributes:
        record: The checkpoint.
        blobs: The values of the channels it lists, at its versions.
        writes: Its pending writes, ordered by task path, task and index.
    """

    record: CheckpointRecord
    blobs: list[Blob]
    writes: list[PendingWrite]


@dataclass(frozen=True)
class CheckpointQuery:
    """Which checkpoints of one agent a listing wants, newest first.

    Attributes:
        thread_id: One thread, or every thread of the agent.
        checkpoint_ns: One namespace, or all.
        checkpoint_id: One checkpoint, or all.
        before: Only checkpoints with a smaller id.
        after: Resume a listing after this ``(checkpoint_id, thread_id, checkpoint_ns)``.
    """

    thread_id: str | None = None
    checkpoint_ns: str | None = None
    checkpoint_id: str | None = None
    before: str | None = None
    after: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class CheckpointTotals:
    """A tenant's checkpoint totals.

    Attributes:
        checkpoints: Checkpoints stored.
        bytes: Bytes of checkpoints, blobs and pending writes.
        threads: Distinct threads.
    """

    checkpoints: int = 0
    bytes: int = 0
    threads: int = 0


def version_key(version: Any) -> str:
    """The JSON text under which a channel version is stored (``1`` and ``"1"`` differ)."""
    return json.dumps(version)


def sort_key(record: CheckpointRecord) -> tuple[str, str, str]:
    """The order of listings, newest first when reversed: id, then thread and namespace."""
    return (record.checkpoint_id, record.thread_id, record.checkpoint_ns)


class CheckpointStore(Store, Protocol):
    """Checkpoints, channel blobs and pending writes of agent graphs."""

    def put(
        self, tenant_id: str, agent_id: str, record: CheckpointRecord, blobs: list[Blob]
    ) -> None:
        """Store a checkpoint (replacing one with the same id) and its new blobs, in one
        transaction; a blob whose ``(channel, version)`` is stored already is kept."""

    def put_writes(
        self,
        tenant_id: str,
        agent_id: str,
        thread_id: str,
        checkpoint_ns: str,
        checkpoint_id: str,
        writes: list[PendingWrite],
    ) -> None:
        """Store pending writes: a regular write (``idx >= 0``) only if its ``(task_id,
        idx)`` is new, a special one (``idx < 0``) replacing what it had."""

    def records(
        self, tenant_id: str, agent_id: str, query: CheckpointQuery, limit: int
    ) -> Iterator[CheckpointRecord]:
        """Checkpoints matching ``query``, newest first by :func:`sort_key`, at most
        ``limit`` (the caller filters metadata and may stop early)."""

    def values(
        self, tenant_id: str, agent_id: str, record: CheckpointRecord
    ) -> tuple[list[Blob], list[PendingWrite]]:
        """The blobs of the channels a checkpoint lists (at its versions) and its pending
        writes, ordered by task path, task and index."""

    def delete_threads(self, tenant_id: str, agent_id: str, thread_ids: list[str]) -> int:
        """Delete every checkpoint, blob and write of the threads; return checkpoints."""

    def delete_checkpoints(
        self, tenant_id: str, agent_id: str, keys: list[tuple[str, str, str]]
    ) -> int:
        """Delete checkpoints by ``(thread_id, checkpoint_ns, checkpoint_id)`` with their
        writes, and the blobs no remaining checkpoint of their thread uses."""

    def copy_thread(self, tenant_id: str, agent_id: str, source: str, target: str) -> int:
        """Copy every checkpoint, blob and write of ``source`` into ``target``."""

    def totals(self, tenant_id: str) -> CheckpointTotals:
        """The tenant's totals."""

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Checkpoints, per agent of the tenant (agents holding none left out)."""

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[tuple[str, CheckpointTuple]]:
        """Every checkpoint with every blob its thread holds for it and its writes, as
        ``(agent_id, tuple)``, oldest first."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove everything of the agent; return checkpoints removed."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove everything of the tenant; return checkpoints removed."""
