"""``MnemoraSaver``: LangGraph's checkpointer on Mnemora, one tenant key and agent per saver."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.serde.base import SerializerProtocol

from mnemora import MnemoraClient, MnemoraSync
from mnemora.models import CheckpointResponse
from mnemora_integrations._clients import HoldsClients, MnemoraClients

_PRUNE_STRATEGIES = ("keep_latest", "delete")


class MnemoraSaver(HoldsClients, BaseCheckpointSaver[str]):
    """A LangGraph checkpointer that keeps every checkpoint of a customer's agent in Mnemora.

    Each saver is bound to one tenant key and one ``agent_id`` for its life; threads
    (``thread_id``) live inside that agent, so two customers' savers never see each other's
    threads, whatever ids they use. The whole history is kept (``get_state_history``, time
    travel and ``interrupt()`` resumption work, from any process); each channel's value is
    stored once per version, not copied into every checkpoint. Values go through LangGraph's
    serializer (``serde``), so anything a graph's state holds round-trips.

    Sync methods (``invoke``) block on HTTP; async methods (``ainvoke``) use real async I/O.

    Args:
        agent_id: The agent whose threads this saver holds.
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.
        serde: LangGraph's serializer (default: ``JsonPlusSerializer``).

    Example:
        ```python
        from langgraph.graph import START, MessagesState, StateGraph
        from mnemora_integrations.langgraph import MnemoraSaver

        def reply(state: MessagesState) -> dict:
            return {"messages": [("ai", "Your refund is on its way.")]}

        builder = StateGraph(MessagesState)
        builder.add_node("reply", reply)
        builder.add_edge(START, "reply")
        with MnemoraSaver(agent_id="support-agent", api_key=customer_key) as saver:
            graph = builder.compile(checkpointer=saver)
            config = {"configurable": {"thread_id": "ticket-42"}}
            graph.invoke({"messages": [("user", "Where is my refund?")]}, config)
            print(len(graph.get_state(config).values["messages"]))  # 2
        ```
    """

    def __init__(
        self,
        *,
        agent_id: str,
        api_key: str | None = None,
        base_url: str | None = None,
        client: MnemoraSync | MnemoraClient | None = None,
        serde: SerializerProtocol | None = None,
    ) -> None:
        super().__init__(serde=serde)
        self.agent_id = agent_id
        self._clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)

    # -- reads -------------------------------------------------------------------------------

    def get_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint ``config`` names, or the thread's latest; ``None`` if none."""
        found = self._clients.sync.get_checkpoint(self.agent_id, **_where(config))
        return None if found is None else self._tuple(found)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint ``config`` names, or the thread's latest; ``None`` if none."""
        found = await self._clients.aio.get_checkpoint(self.agent_id, **_where(config))
        return None if found is None else self._tuple(found)

    def list(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints newest first: of the thread (every thread when ``config`` is
        ``None``), of its namespace if given, older than ``before``, whose metadata has the
        ``filter`` values; at most ``limit``."""
        pages = self._clients.sync.iter_checkpoints(
            self.agent_id, **_listing(config, filter, before, limit)
        )
        for count, found in enumerate(pages, start=1):
            yield self._tuple(found)
            if limit is not None and count >= limit:
                return

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Checkpoints newest first (see :meth:`list`)."""
        count = 0
        pages = self._clients.aio.iter_checkpoints(
            self.agent_id, **_listing(config, filter, before, limit)
        )
        async for found in pages:
            yield self._tuple(found)
            count += 1
            if limit is not None and count >= limit:
                return

    # -- writes ------------------------------------------------------------------------------

    def put(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint and the values of the channels in ``new_versions``."""
        request = self._put_request(config, checkpoint, metadata, new_versions)
        stored = self._clients.sync.put_checkpoint(self.agent_id, **request)
        return _config(stored.thread_id, stored.checkpoint_ns, stored.checkpoint_id)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        """Store a checkpoint and the values of the channels in ``new_versions``."""
        request = self._put_request(config, checkpoint, metadata, new_versions)
        stored = await self._clients.aio.put_checkpoint(self.agent_id, **request)
        return _config(stored.thread_id, stored.checkpoint_ns, stored.checkpoint_id)

    def put_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes after the checkpoint ``config`` names."""
        self._clients.sync.put_checkpoint_writes(
            self.agent_id, **self._writes_request(config, writes, task_id, task_path)
        )

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Store a task's writes after the checkpoint ``config`` names."""
        await self._clients.aio.put_checkpoint_writes(
            self.agent_id, **self._writes_request(config, writes, task_id, task_path)
        )

    # -- maintenance -------------------------------------------------------------------------

    def delete_thread(self, thread_id: str) -> None:
        """Delete a thread with every checkpoint and write (of this agent only)."""
        self._clients.sync.delete_threads(self.agent_id, [thread_id])

    async def adelete_thread(self, thread_id: str) -> None:
        """Delete a thread with every checkpoint and write (of this agent only)."""
        await self._clients.aio.delete_threads(self.agent_id, [thread_id])

    def delete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) that these runs made."""
        if run_ids:
            self._clients.sync.delete_runs(self.agent_id, list(run_ids))

    async def adelete_for_runs(self, run_ids: Sequence[str]) -> None:
        """Delete the checkpoints (and their writes) that these runs made."""
        if run_ids:
            await self._clients.aio.delete_runs(self.agent_id, list(run_ids))

    def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint and write of a thread into another thread."""
        self._clients.sync.copy_thread(self.agent_id, source_thread_id, target_thread_id)

    async def acopy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint and write of a thread into another thread."""
        await self._clients.aio.copy_thread(self.agent_id, source_thread_id, target_thread_id)

    def prune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Keep only each namespace's latest checkpoint of the threads (``keep_latest``), or
        delete the threads (``delete``)."""
        if thread_ids:
            self._clients.sync.prune_threads(
                self.agent_id, list(thread_ids), strategy=_strategy(strategy)
            )

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """Keep only each namespace's latest checkpoint of the threads, or delete them."""
        if thread_ids:
            await self._clients.aio.prune_threads(
                self.agent_id, list(thread_ids), strategy=_strategy(strategy)
            )

    def get_next_version(self, current: str | None, channel: None) -> str:
        """A version greater than ``current``, unique across concurrent branches."""
        if current is None:
            number = 0
        elif isinstance(current, int):
            number = current
        else:
            number = int(current.split(".")[0])
        return f"{number + 1:032}.{random.random():016}"  # noqa: S311 - not for security

    # -- conversions -------------------------------------------------------------------------

    def _put_request(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> dict[str, Any]:
        configurable = config["configurable"]
        stored = {k: v for k, v in checkpoint.items() if k != "channel_values"}
        values = checkpoint["channel_values"]
        return {
            "thread_id": str(configurable["thread_id"]),
            "checkpoint": stored,
            "metadata": dict(get_serializable_checkpoint_metadata(config, metadata)),
            "checkpoint_ns": str(configurable.get("checkpoint_ns", "")),
            "parent_checkpoint_id": configurable.get("checkpoint_id"),
            "values": [
                (
                    channel,
                    version,
                    self.serde.dumps_typed(values[channel])
                    if channel in values
                    else ("empty", b""),
                )
                for channel, version in new_versions.items()
            ],
        }

    def _writes_request(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str,
    ) -> dict[str, Any]:
        configurable = config["configurable"]
        return {
            "thread_id": str(configurable["thread_id"]),
            "checkpoint_id": str(configurable["checkpoint_id"]),
            "task_id": task_id,
            "writes": [
                (WRITES_IDX_MAP.get(channel, idx), channel, self.serde.dumps_typed(value))
                for idx, (channel, value) in enumerate(writes)
            ],
            "checkpoint_ns": str(configurable.get("checkpoint_ns", "")),
            "task_path": task_path,
        }

    def _tuple(self, found: CheckpointResponse) -> CheckpointTuple:
        values = {
            v.channel: self.serde.loads_typed((v.type, v.data))
            for v in found.channel_values
            if v.type != "empty"
        }
        checkpoint: Checkpoint = {**found.checkpoint, "channel_values": values}  # type: ignore[typeddict-item]
        parent = (
            _config(found.thread_id, found.checkpoint_ns, found.parent_checkpoint_id)
            if found.parent_checkpoint_id
            else None
        )
        return CheckpointTuple(
            config=_config(found.thread_id, found.checkpoint_ns, found.checkpoint_id),
            checkpoint=checkpoint,
            metadata=found.metadata,  # type: ignore[arg-type]
            parent_config=parent,
            pending_writes=[
                (w.task_id, w.channel, self.serde.loads_typed((w.type, w.data)))
                for w in found.pending_writes
            ],
        )


def _config(thread_id: str, checkpoint_ns: str, checkpoint_id: str) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": checkpoint_ns,
            "checkpoint_id": checkpoint_id,
        }
    }


def _where(config: RunnableConfig) -> dict[str, Any]:
    configurable = config["configurable"]
    return {
        "thread_id": str(configurable["thread_id"]),
        "checkpoint_ns": str(configurable.get("checkpoint_ns", "")),
        "checkpoint_id": get_checkpoint_id(config),
    }


def _listing(
    config: RunnableConfig | None,
    filter: dict[str, Any] | None,
    before: RunnableConfig | None,
    limit: int | None,
) -> dict[str, Any]:
    configurable = (config or {}).get("configurable", {})
    thread_id = configurable.get("thread_id")
    return {
        "thread_id": None if thread_id is None else str(thread_id),
        "checkpoint_ns": configurable.get("checkpoint_ns"),
        "checkpoint_id": get_checkpoint_id(config) if config else None,
        "before": get_checkpoint_id(before) if before else None,
        "filter": filter or None,
        "page_size": max(1, min(limit or 20, 20)),
    }


def _strategy(strategy: str) -> str:
    if strategy not in _PRUNE_STRATEGIES:
        raise ValueError(f"strategy must be one of {_PRUNE_STRATEGIES}, not {strategy!r}")
    return strategy
