"""Typed responses of the checkpoint routes (what LangGraph's checkpointer stores)."""

from __future__ import annotations

from typing import Any

from pydantic import Base64Bytes, Field

from mnemora.models.base import _Response


class CheckpointConfig(_Response):
    """Where a checkpoint is stored.

    Attributes:
        thread_id: The thread.
        checkpoint_ns: The namespace (``""``: the root graph).
        checkpoint_id: The checkpoint.
    """

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str


class ChannelValue(_Response):
    """A channel's serialized value at one version.

    Attributes:
        channel: The channel.
        version: Its version (a string or a number, as the graph made it).
        type: The serializer's type tag (``"empty"``: no value).
        data: The serialized bytes.
    """

    channel: str
    version: str | int | float
    type: str
    data: Base64Bytes


class PendingWriteValue(_Response):
    """A task's write after a checkpoint.

    Attributes:
        task_id: The task.
        idx: Its index (negative for special channels).
        channel: The channel written.
        type: The serializer's type tag.
        data: The serialized bytes.
        task_path: The task's path.
    """

    task_id: str
    idx: int
    channel: str
    type: str
    data: Base64Bytes
    task_path: str = ""


class CheckpointResponse(_Response):
    """A stored checkpoint with its channel values and pending writes.

    Attributes:
        thread_id: The thread.
        checkpoint_ns: The namespace.
        checkpoint_id: The checkpoint's id.
        parent_checkpoint_id: The checkpoint it follows.
        checkpoint: The checkpoint without channel values.
        metadata: Its metadata.
        created_at: ISO 8601 time it was stored.
        channel_values: The values of the channels it lists.
        pending_writes: Writes made after it, in task order.
    """

    thread_id: str
    checkpoint_ns: str
    checkpoint_id: str
    parent_checkpoint_id: str | None = None
    checkpoint: dict[str, Any]
    metadata: dict[str, Any] = Field(default_factory=dict)
    created_at: str
    channel_values: list[ChannelValue] = Field(default_factory=list)
    pending_writes: list[PendingWriteValue] = Field(default_factory=list)
