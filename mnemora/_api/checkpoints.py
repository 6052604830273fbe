"""Checkpoints of agent graphs (what LangGraph's checkpointer stores), per agent and thread.

Values are the caller's serialized bytes with a type tag; the server stores each channel's
value once per version and gives back, with every checkpoint, the values of the channels it
lists. :class:`mnemora_integrations.langgraph.MnemoraSaver` is built on these methods.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from mnemora._api.descriptors import Page, api_method, api_pages
from mnemora._api.paths import put_optional
from mnemora._core import Call, Plan
from mnemora.models import CheckpointConfig, CheckpointResponse

Serialized = tuple[str, bytes]
"""A serializer's ``(type tag, bytes)``."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class CheckpointApi:
    """Checkpoint methods of both clients."""

    @api_method
    def put_checkpoint(
        self,
        agent_id: str,
        thread_id: str,
        checkpoint: dict[str, Any],
        metadata: dict[str, Any] | None = None,
        *,
        checkpoint_ns: str = "",
        parent_checkpoint_id: str | None = None,
        values: Sequence[tuple[str, str | int | float, Serialized]] = (),
    ) -> Plan[CheckpointConfig]:
        """Store a checkpoint and the values of the channels it changed.

        Args:
            agent_id: The agent.
            thread_id: The thread (a conversation, a ticket).
            checkpoint: The checkpoint without ``channel_values`` (JSON): ``id``,
                ``channel_versions``, ...
            metadata: JSON metadata (listings filter on its top-level keys).
            checkpoint_ns: The namespace (``""``: the root graph).
            parent_checkpoint_id: The checkpoint this one follows.
            values: ``(channel, version, (type, bytes))`` of each changed channel.
        """
        body: dict[str, Any] = {
            "agent_id": agent_id,
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint": checkpoint,
            "metadata": metadata or {},
            "blobs": [
                {"channel": channel, "version": version, "type": kind, "data": _b64(data)}
                for channel, version, (kind, data) in values
            ],
        }
        put_optional(body, parent_checkpoint_id=parent_checkpoint_id)
        result = yield Call("POST", "/v1/checkpoints", json=body)
        return CheckpointConfig.model_validate(result)

    @api_method
    def put_checkpoint_writes(
        self,
        agent_id: str,
        thread_id: str,
        checkpoint_id: str,
        task_id: str,
        writes: Sequence[tuple[int, str, Serialized]],
        *,
        checkpoint_ns: str = "",
        task_path: str = "",
    ) -> Plan[int]:
        """Store a task's pending writes after a checkpoint.

        Args:
            agent_id: The agent.
            thread_id: The thread.
            checkpoint_id: The checkpoint the writes follow.
            task_id: The task that made them.
            writes: ``(idx, channel, (type, bytes))``; a regular write (``idx >= 0``) is kept
                once, a special one (negative ``idx``) replaces the previous.
            checkpoint_ns: The namespace.
            task_path: The task's path in the graph.

        Returns:
            How many writes were sent.
        """
        body = {
            "agent_id": agent_id,
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint_id": checkpoint_id,
            "task_id": task_id,
            "task_path": task_path,
            "writes": [
                {"idx": idx, "channel": channel, "type": kind, "data": _b64(data)}
                for idx, channel, (kind, data) in writes
            ],
        }
        result = yield Call("POST", "/v1/checkpoints/writes", json=body)
        return int(result["writes"])

    @api_method
    def get_checkpoint(
        self,
        agent_id: str,
        thread_id: str,
        *,
        checkpoint_ns: str = "",
        checkpoint_id: str | None = None,
    ) -> Plan[CheckpointResponse | None]:
        """One checkpoint by id, or the latest of the thread and namespace (``None``: none)."""
        body: dict[str, Any] = {
            "agent_id": agent_id,
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
        }
        put_optional(body, checkpoint_id=checkpoint_id)
        result = yield Call("POST", "/v1/checkpoints/get", json=body, write=False)
        found = result["checkpoint"]
        return None if found is None else CheckpointResponse.model_validate(found)

    @api_pages
    def iter_checkpoints(
        self,
        agent_id: str,
        *,
        thread_id: str | None = None,
        checkpoint_ns: str | None = None,
        checkpoint_id: str | None = None,
        before: str | None = None,
        filter: dict[str, Any] | None = None,
        page_size: int = 20,
        cursor: str | None = None,
    ) -> Plan[Page[CheckpointResponse]]:
        """Checkpoints newest first: of a thread (or every thread of the agent), of a
        namespace (or all), older than ``before``, whose metadata has the ``filter`` values.
        Pages are fetched as the iteration reaches them."""
        body: dict[str, Any] = {"agent_id": agent_id, "limit": page_size}
        put_optional(
            body,
            thread_id=thread_id,
            checkpoint_ns=checkpoint_ns,
            checkpoint_id=checkpoint_id,
            before=before,
            filter=filter,
            cursor=cursor,
        )
        result = yield Call("POST", "/v1/checkpoints/list", json=body, write=False)
        items = [CheckpointResponse.model_validate(c) for c in result["checkpoints"]]
        return items, result.get("next_cursor")

    @api_method
    def delete_threads(self, agent_id: str, thread_ids: Sequence[str]) -> Plan[int]:
        """Delete threads with every checkpoint, value and write; returns checkpoints deleted."""
        body = {"agent_id": agent_id, "thread_ids": list(thread_ids)}
        result = yield Call("POST", "/v1/checkpoints/threads/delete", json=body)
        return int(result["checkpoints"])

    @api_method
    def copy_thread(self, agent_id: str, source_thread_id: str, target_thread_id: str) -> Plan[int]:
        """Copy a thread's checkpoints, values and writes into another thread."""
        body = {
            "agent_id": agent_id,
            "source_thread_id": source_thread_id,
            "target_thread_id": target_thread_id,
        }
        result = yield Call("POST", "/v1/checkpoints/threads/copy", json=body)
        return int(result["checkpoints"])

    @api_method
    def prune_threads(
        self, agent_id: str, thread_ids: Sequence[str], *, strategy: str = "keep_latest"
    ) -> Plan[int]:
        """Keep only each namespace's latest checkpoint (``keep_latest``) or delete the
        threads (``delete``); returns checkpoints deleted."""
        body = {"agent_id": agent_id, "thread_ids": list(thread_ids), "strategy": strategy}
        result = yield Call("POST", "/v1/checkpoints/threads/prune", json=body)
        return int(result["checkpoints"])

    @api_method
    def delete_runs(self, agent_id: str, run_ids: Sequence[str]) -> Plan[int]:
        """Delete the checkpoints whose metadata ``run_id`` is one of ``run_ids``."""
        body = {"agent_id": agent_id, "run_ids": list(run_ids)}
        result = yield Call("POST", "/v1/checkpoints/runs/delete", json=body)
        return int(result["checkpoints"])
