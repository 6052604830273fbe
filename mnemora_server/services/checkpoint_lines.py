"""Checkpoints as lines of an export, and back.

A ``checkpoint`` line holds one checkpoint, its pending writes and the channel values it is
the first in its thread and namespace to hold (later checkpoints that share a value refer to
the same blob, so each value is written once per export). Values are base64.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

from mnemora_server.errors import ValidationError
from mnemora_server.identifiers import check_identifier
from mnemora_server.stores.base.checkpoints import (
    Blob,
    CheckpointQuery,
    CheckpointRecord,
    CheckpointStore,
    CheckpointTuple,
    PendingWrite,
)


def export_lines(
    store: CheckpointStore, tenant_id: str, agent_id: str | None
) -> Iterator[dict[str, Any]]:
    """One line per checkpoint of the tenant (or agent), oldest first."""
    written: set[tuple[str, str, str, str, str]] = set()
    for owner, item in store.export(tenant_id, agent_id):
        record = item.record
        blobs = []
        for blob in item.blobs:
            key = (owner, record.thread_id, record.checkpoint_ns, blob.channel, blob.version)
            if key not in written:
                written.add(key)
                blobs.append(
                    {
                        "channel": blob.channel,
                        "version": json.loads(blob.version),
                        "type": blob.type,
                        "data": _b64(blob.data),
                    }
                )
        yield {
            "kind": "checkpoint",
            "agent_id": owner,
            "thread_id": record.thread_id,
            "checkpoint_ns": record.checkpoint_ns,
            "checkpoint_id": record.checkpoint_id,
            "parent_checkpoint_id": record.parent_checkpoint_id,
            "checkpoint": record.checkpoint,
            "metadata": record.metadata,
            "created_at": record.created_at,
            "blobs": blobs,
            "writes": [
                {
                    "task_id": w.task_id,
                    "idx": w.idx,
                    "channel": w.channel,
                    "type": w.type,
                    "data": _b64(w.data),
                    "task_path": w.task_path,
                }
                for w in item.writes
            ],
        }


def parse_line(item: dict[str, Any]) -> tuple[str, CheckpointTuple]:
    """The agent and checkpoint of a ``checkpoint`` line.

    Raises:
        ValidationError: The line is malformed.
        KeyError: A field is missing.
    """
    for field in ("checkpoint", "metadata"):
        if not isinstance(item[field], dict):
            raise ValidationError(f"{field} must be an object")
    record = CheckpointRecord(
        thread_id=_text(item["thread_id"], "thread_id"),
        checkpoint_ns=str(item.get("checkpoint_ns") or ""),
        checkpoint_id=_text(item["checkpoint_id"], "checkpoint_id"),
        parent_checkpoint_id=item.get("parent_checkpoint_id"),
        checkpoint=item["checkpoint"],
        metadata=item["metadata"],
        created_at=float(item["created_at"]),
    )
    blobs = [
        Blob(str(b["channel"]), json.dumps(b["version"]), str(b["type"]), _bytes(b["data"]))
        for b in item.get("blobs") or []
    ]
    writes = [
        PendingWrite(
            str(w["task_id"]),
            int(w["idx"]),
            str(w["channel"]),
            str(w["type"]),
            _bytes(w["data"]),
            str(w.get("task_path") or ""),
        )
        for w in item.get("writes") or []
    ]
    agent_id = check_identifier(item["agent_id"], "agent_id", agent=True)
    return agent_id, CheckpointTuple(record, blobs, writes)


def restore(store: CheckpointStore, tenant_id: str, agent_id: str, item: CheckpointTuple) -> bool:
    """Store an exported checkpoint unless the tenant holds it; ``False`` if it did."""
    record = item.record
    query = CheckpointQuery(
        thread_id=record.thread_id,
        checkpoint_ns=record.checkpoint_ns,
        checkpoint_id=record.checkpoint_id,
    )
    if next(iter(store.records(tenant_id, agent_id, query, 1)), None) is not None:
        return False
    store.put(tenant_id, agent_id, record, item.blobs)
    if item.writes:
        store.put_writes(
            tenant_id,
            agent_id,
            record.thread_id,
            record.checkpoint_ns,
            record.checkpoint_id,
            item.writes,
        )
    return True


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _bytes(text: Any) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except binascii.Error as exc:
        raise ValidationError("a checkpoint value is not base64") from exc


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{field} must be a non-empty string")
    return value
