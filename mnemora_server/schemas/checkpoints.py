"""Bodies of the checkpoint routes (LangGraph's checkpointer): ``/v1/checkpoints``.

Thread ids and checkpoint namespaces are free text (LangGraph makes namespaces such as
``"parent|child:<uuid>"``); they travel in bodies, never in paths, and reach the stores only as
query parameters. Serialized values travel as base64.
"""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any, Literal

from pydantic import Base64Bytes, BaseModel, Field

from mnemora_server.identifiers import AgentId
from mnemora_server.schemas.common import RequestModel
from mnemora_server.stores.base.checkpoints import (
    Blob,
    CheckpointTuple,
    PendingWrite,
    version_key,
)
from mnemora_server.timestamps import iso_time

_NO_CONTROL = r"^[^\x00-\x1f\x7f]*$"
ThreadId = Annotated[str, Field(min_length=1, max_length=512, pattern=_NO_CONTROL)]
CheckpointNs = Annotated[str, Field(max_length=1024, pattern=_NO_CONTROL)]
CheckpointId = Annotated[str, Field(min_length=1, max_length=256, pattern=_NO_CONTROL)]
Name = Annotated[str, Field(min_length=1, max_length=512, pattern=_NO_CONTROL)]
Version = str | int | float


class BlobIn(BaseModel):
    """One channel value at one version."""

    channel: Name
    version: Version
    type: Annotated[str, Field(min_length=1, max_length=128)]
    data: Base64Bytes

    def blob(self) -> Blob:
        """The store's record."""
        return Blob(self.channel, version_key(self.version), self.type, self.data)


class CheckpointPut(RequestModel):
    """``POST /v1/checkpoints``: store a checkpoint and the values of the channels it changed."""

    agent_id: AgentId
    thread_id: ThreadId
    checkpoint_ns: CheckpointNs = ""
    parent_checkpoint_id: CheckpointId | None = None
    checkpoint: dict[str, Any] = Field(
        description="The checkpoint without channel_values: id, ts, channel_versions, ..."
    )
    metadata: dict[str, Any] = Field(default_factory=dict)
    blobs: list[BlobIn] = Field(default_factory=list, max_length=10_000)


class CheckpointConfigOut(BaseModel):
    """Where a checkpoint was stored (LangGraph's ``configurable``)."""

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str


class WriteIn(BaseModel):
    """One pending write of a task."""

    idx: int
    channel: Name
    type: Annotated[str, Field(min_length=1, max_length=128)]
    data: Base64Bytes


class CheckpointWritesPut(RequestModel):
    """``POST /v1/checkpoints/writes``: a task's writes after one checkpoint."""

    agent_id: AgentId
    thread_id: ThreadId
    checkpoint_ns: CheckpointNs = ""
    checkpoint_id: CheckpointId
    task_id: Name
    task_path: Annotated[str, Field(max_length=2048)] = ""
    writes: list[WriteIn] = Field(max_length=10_000)

    def pending(self) -> list[PendingWrite]:
        """The store's records."""
        return [
            PendingWrite(self.task_id, w.idx, w.channel, w.type, w.data, self.task_path)
            for w in self.writes
        ]


class WritesStored(BaseModel):
    """How many writes the request carried (known ones are kept as they were)."""

    writes: int


class CheckpointGet(RequestModel):
    """``POST /v1/checkpoints/get``: one checkpoint, or the thread's latest."""

    agent_id: AgentId
    thread_id: ThreadId
    checkpoint_ns: CheckpointNs = ""
    checkpoint_id: CheckpointId | None = None


class ValueOut(BaseModel):
    """A channel value at a version."""

    channel: str
    version: Version
    type: str
    data: str = Field(description="base64")


class WriteOut(BaseModel):
    """A pending write."""

    task_id: str
    idx: int
    channel: str
    type: str
    data: str = Field(description="base64")
    task_path: str


class CheckpointOut(BaseModel):
    """A checkpoint with its channel values and pending writes."""

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None
    checkpoint: dict[str, Any]
    metadata: dict[str, Any]
    created_at: str
    channel_values: list[ValueOut]
    pending_writes: list[WriteOut]

    @classmethod
    def of(cls, item: CheckpointTuple) -> CheckpointOut:
        """The wire form of a stored checkpoint."""
        record = item.record
        return cls(
            thread_id=record.thread_id,
            checkpoint_ns=record.checkpoint_ns,
            checkpoint_id=record.checkpoint_id,
            parent_checkpoint_id=record.parent_checkpoint_id,
            checkpoint=record.checkpoint,
            metadata=record.metadata,
            created_at=iso_time(record.created_at) or "",
            channel_values=[
                ValueOut(
                    channel=b.channel,
                    version=json.loads(b.version),
                    type=b.type,
                    data=base64.b64encode(b.data).decode(),
                )
                for b in item.blobs
            ],
            pending_writes=[
                WriteOut(
                    task_id=w.task_id,
                    idx=w.idx,
                    channel=w.channel,
                    type=w.type,
                    data=base64.b64encode(w.data).decode(),
                    task_path=w.task_path,
                )
                for w in item.writes
            ],
        )


class CheckpointFound(BaseModel):
    """The checkpoint asked for, or ``null`` when there is none."""

    checkpoint: CheckpointOut | None


class CheckpointListQuery(RequestModel):
    """``POST /v1/checkpoints/list``: checkpoints newest first, as LangGraph filters them."""

    agent_id: AgentId
    thread_id: ThreadId | None = Field(default=None, description="Omitted: every thread.")
    checkpoint_ns: CheckpointNs | None = Field(default=None, description="Omitted: all.")
    checkpoint_id: CheckpointId | None = None
    before: CheckpointId | None = Field(default=None, description="Only older checkpoints.")
    filter: dict[str, Any] | None = Field(
        default=None, description="Top-level metadata keys and the values they must equal."
    )
    limit: int = Field(default=20, ge=1, le=1000)
    cursor: Annotated[str, Field(max_length=4096)] | None = None


class CheckpointList(BaseModel):
    """A page of checkpoints."""

    checkpoints: list[CheckpointOut]
    count: int
    next_cursor: str | None


class ThreadsDelete(RequestModel):
    """``POST /v1/checkpoints/threads/delete``."""

    agent_id: AgentId
    thread_ids: list[ThreadId] = Field(min_length=1, max_length=1000)


class ThreadCopy(RequestModel):
    """``POST /v1/checkpoints/threads/copy``."""

    agent_id: AgentId
    source_thread_id: ThreadId
    target_thread_id: ThreadId


class ThreadsPrune(RequestModel):
    """``POST /v1/checkpoints/threads/prune``: keep each namespace's latest, or delete all."""

    agent_id: AgentId
    thread_ids: list[ThreadId] = Field(max_length=1000)
    strategy: Literal["keep_latest", "delete"] = "keep_latest"


class RunsDelete(RequestModel):
    """``POST /v1/checkpoints/runs/delete``: checkpoints whose metadata names these runs."""

    agent_id: AgentId
    run_ids: list[Name] = Field(min_length=1, max_length=1000)


class CheckpointsChanged(BaseModel):
    """How many checkpoints an operation deleted or copied."""

    checkpoints: int
