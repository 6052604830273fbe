"""The API methods, written once for both clients.

Each method is a plan (see :mod:`mnemora._core`). The :class:`api_method` descriptor turns it
into a plain method on :class:`~mnemora.MnemoraSync` and a coroutine method on
:class:`~mnemora.MnemoraClient`, with the same name, signature and docstring.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload
from urllib.parse import quote

from mnemora._core import Call, Plan
from mnemora._transport import AsyncTransport, SyncTransport
from mnemora.models import (
    EmbeddingsResponse,
    EpisodeResponse,
    HealthResponse,
    ImportResponse,
    ProcedureResponse,
    PurgeResponse,
    SearchResult,
    SemanticResponse,
    SessionPage,
    StateResponse,
    UsageResponse,
)

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Page = tuple[list[T], str | None]


class api_method(Generic[P, R]):
    """Descriptor binding one plan to a sync or an async client."""

    def __init__(self, plan: Callable[Concatenate[Any, P], Plan[R]]) -> None:
        self._plan = plan
        functools.update_wrapper(self, plan)  # type: ignore[arg-type]
        signature = inspect.signature(plan)
        # What callers see: the plan's parameters without ``self``.
        returns = signature.return_annotation
        if isinstance(returns, str) and returns.startswith("Plan[") and returns.endswith("]"):
            returns = returns[5:-1]
        self._signature = signature.replace(
            parameters=list(signature.parameters.values())[1:], return_annotation=returns
        )

    @overload
    def __get__(self, obj: None, owner: type) -> api_method[P, R]: ...

    @overload
    def __get__(self, obj: SyncTransport, owner: type) -> Callable[P, R]: ...

    @overload
    def __get__(self, obj: AsyncTransport, owner: type) -> Callable[P, Coroutine[Any, Any, R]]: ...

    def __get__(self, obj: object, owner: type) -> Any:
        if obj is None:
            return self
        plan = self._plan
        if isinstance(obj, AsyncTransport):
            transport_async = obj

            async def run_async(*args: P.args, **kwargs: P.kwargs) -> R:
                return await transport_async._run_async(plan(transport_async, *args, **kwargs))

            return self._finish(run_async)
        assert isinstance(obj, SyncTransport)
        transport = obj

        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            return transport._run(plan(transport, *args, **kwargs))

        return self._finish(run)

    def _finish(self, bound: Callable[..., Any]) -> Callable[..., Any]:
        functools.update_wrapper(bound, self._plan)
        del bound.__wrapped__  # type: ignore[attr-defined]
        bound.__signature__ = self._signature  # type: ignore[attr-defined]
        return bound


class api_pages(Generic[P, T]):
    """Descriptor turning a one-page plan into an iterator over every item of every page.

    The plan takes ``cursor`` and returns ``(items, next_cursor)``. Bound to
    :class:`~mnemora.MnemoraSync` it is a generator; bound to :class:`~mnemora.MnemoraClient`
    an async generator. Pages are fetched as the iteration reaches them.
    """

    def __init__(self, page: Callable[..., Plan[Page[T]]]) -> None:
        self._page = page
        functools.update_wrapper(self, page)  # type: ignore[arg-type]
        signature = inspect.signature(page)
        params = [p for name, p in signature.parameters.items() if name not in ("self", "cursor")]
        self._signature = signature.replace(
            parameters=params, return_annotation=inspect.Signature.empty
        )

    @overload
    def __get__(self, obj: None, owner: type) -> api_pages[P, T]: ...

    @overload
    def __get__(self, obj: SyncTransport, owner: type) -> Callable[P, Iterator[T]]: ...

    @overload
    def __get__(self, obj: AsyncTransport, owner: type) -> Callable[P, AsyncIterator[T]]: ...

    def __get__(self, obj: object, owner: type) -> Any:
        if obj is None:
            return self
        page = self._page
        if isinstance(obj, AsyncTransport):
            transport_async = obj

            async def iterate_async(*args: Any, **kwargs: Any) -> AsyncIterator[T]:
                cursor: str | None = None
                while True:
                    items, cursor = await transport_async._run_async(
                        page(transport_async, *args, cursor=cursor, **kwargs)
                    )
                    for item in items:
                        yield item
                    if not cursor:
                        return

            return self._finish(iterate_async)
        assert isinstance(obj, SyncTransport)
        transport = obj

        def iterate(*args: Any, **kwargs: Any) -> Iterator[T]:
            cursor: str | None = None
            while True:
                items, cursor = transport._run(page(transport, *args, cursor=cursor, **kwargs))
                yield from items
                if not cursor:
                    return

        return self._finish(iterate)

    def _finish(self, bound: Callable[..., Any]) -> Callable[..., Any]:
        functools.update_wrapper(bound, self._page)
        del bound.__wrapped__  # type: ignore[attr-defined]
        bound.__signature__ = self._signature  # type: ignore[attr-defined]
        return bound


class MemoryApi:
    """Every API method; the clients inherit them."""

    # -- working memory ----------------------------------------------------------------------

    @api_method
    def store_state(
        self,
        agent_id: str,
        data: dict[str, Any],
        session_id: str | None = None,
        ttl_hours: float | None = None,
    ) -> Plan[StateResponse]:
        """Write an agent session's state unconditionally (the version grows by one).

        Args:
            agent_id: The agent.
            data: The JSON document (at most 400 KB serialised).
            session_id: The session (``"default"`` when omitted).
            ttl_hours: Hours until the state expires; each write with a TTL moves the expiry.
                Omitted: keep the current expiry (none for new state).

        Raises:
            MnemoraValidationError: Bad identifiers or body.
            MnemoraPayloadTooLargeError: The document is too large.
        """
        body: dict[str, Any] = {"agent_id": agent_id, "data": data}
        if session_id is not None:
            body["session_id"] = session_id
        if ttl_hours is not None:
            body["ttl_hours"] = ttl_hours
        return StateResponse.model_validate((yield Call("POST", "/v1/state", json=body)))

    @api_method
    def get_state(self, agent_id: str, session_id: str | None = None) -> Plan[StateResponse]:
        """Read an agent session's state.

        Raises:
            MnemoraNotFoundError: No live state (never written, deleted or expired).
        """
        data = yield Call("GET", f"/v1/state/{_seg(agent_id)}", params={"session_id": session_id})
        return StateResponse.model_validate(data)

    @api_method
    def update_state(
        self,
        agent_id: str,
        data: dict[str, Any],
        version: int,
        session_id: str = "default",
        ttl_hours: float | None = None,
    ) -> Plan[StateResponse]:
        """Replace a session's state if its current version is ``version``.

        Raises:
            MnemoraConflictError: Someone else wrote first; re-read and retry.
            MnemoraNotFoundError: No live state for that session.
        """
        body: dict[str, Any] = {"data": data, "version": version, "session_id": session_id}
        if ttl_hours is not None:
            body["ttl_hours"] = ttl_hours
        result = yield Call("PUT", f"/v1/state/{_seg(agent_id)}", json=body)
        return StateResponse.model_validate(result)

    @api_method
    def patch_state(
        self,
        agent_id: str,
        patch: dict[str, Any],
        version: int | None = None,
        session_id: str = "default",
        ttl_hours: float | None = None,
    ) -> Plan[StateResponse]:
        """Apply a JSON merge patch (RFC 7396): ``None`` values delete keys.

        Args:
            agent_id: The agent.
            patch: The merge patch.
            version: Apply only to this version (409 otherwise); omitted: apply atomically to
                whatever is current.
            session_id: The session.
            ttl_hours: New TTL in hours; omitted keeps the current expiry.
        """
        body: dict[str, Any] = {"patch": patch, "session_id": session_id}
        if version is not None:
            body["version"] = version
        if ttl_hours is not None:
            body["ttl_hours"] = ttl_hours
        result = yield Call("PATCH", f"/v1/state/{_seg(agent_id)}", json=body)
        return StateResponse.model_validate(result)

    @api_method
    def delete_state(self, agent_id: str, session_id: str) -> Plan[None]:
        """Delete a session's state.

        Raises:
            MnemoraNotFoundError: No live state for that session.
        """
        yield Call("DELETE", f"/v1/state/{_seg(agent_id)}/{_seg(session_id)}")

    @api_method
    def list_sessions(self, agent_id: str) -> Plan[list[str]]:
        """Every live session id of an agent (follows cursors to the end)."""
        items = yield from _every_item(f"/v1/state/{_seg(agent_id)}/sessions", "sessions", 1000)
        return [str(item) for item in items]

    @api_method
    def list_sessions_page(
        self, agent_id: str, limit: int = 100, cursor: str | None = None
    ) -> Plan[SessionPage]:
        """One page of an agent's session ids; pass ``next_cursor`` back to continue."""
        data = yield Call(
            "GET", f"/v1/state/{_seg(agent_id)}/sessions", params={"limit": limit, "cursor": cursor}
        )
        return SessionPage.model_validate(data)

    # -- semantic memory ---------------------------------------------------------------------

    @api_method
    def store_memory(
        self,
        agent_id: str,
        content: str,
        namespace: str | None = None,
        metadata: dict[str, Any] | None = None,
        *,
        id: str | None = None,
        dedup: bool = True,
        embedding: list[float] | None = None,
    ) -> Plan[SemanticResponse]:
        """Store a text as semantic memory (embedded server-side).

        A near-duplicate (cosine > 0.95) in the same agent and namespace is merged into the
        existing memory (``deduplicated=True``) unless ``dedup=False``. Long text is chunked.

        Args:
            agent_id: The agent.
            content: The text.
            namespace: Partition within the agent (``"default"``).
            metadata: JSON metadata, stored and returned exactly.
            id: Your own id: writing it again replaces that memory.
            dedup: Merge near-duplicates.
            embedding: Your own vector of the server's dimension, instead of embedding.
        """
        body: dict[str, Any] = {"agent_id": agent_id, "content": content, "dedup": dedup}
        _put(body, namespace=namespace, metadata=metadata, id=id, embedding=embedding)
        result = yield Call("POST", "/v1/memory/semantic", json=body)
        return SemanticResponse.model_validate(result)

    @api_method
    def store_memories(
        self,
        agent_id: str,
        items: list[dict[str, Any]],
        namespace: str | None = None,
    ) -> Plan[list[SemanticResponse]]:
        """Store up to 500 memories at once, atomically (all or none).

        Args:
            agent_id: The agent.
            items: Dicts with ``content`` and optionally ``metadata``, ``id``, ``dedup``,
                ``embedding``.
            namespace: Partition within the agent.
        """
        body: dict[str, Any] = {"agent_id": agent_id, "items": items}
        _put(body, namespace=namespace)
        result = yield Call("POST", "/v1/memory/semantic/batch", json=body)
        return [SemanticResponse.model_validate(m) for m in result["memories"]]

    @api_method
    def search_memory(
        self,
        query: str,
        agent_id: str | None = None,
        namespace: str | None = None,
        top_k: int = 10,
        threshold: float = 0.1,
        metadata_filter: dict[str, Any] | None = None,
        *,
        mode: str = "hybrid",
    ) -> Plan[list[SemanticResponse]]:
        """Search semantic memory.

        Args:
            query: Natural-language query.
            agent_id: One agent, or the whole tenant when omitted.
            namespace: One namespace.
            top_k: Results wanted.
            threshold: Minimum cosine similarity for vector matches.
            metadata_filter: ``{"k": v}`` or operators ``$eq $ne $gt $gte $lt $lte $in $nin
                $exists``, combined with ``$and`` / ``$or``.
            mode: ``hybrid`` (vector and keyword, fused), ``vector`` or ``keyword``.
        """
        body: dict[str, Any] = {
            "query": query,
            "top_k": top_k,
            "threshold": threshold,
            "mode": mode,
        }
        _put(body, agent_id=agent_id, namespace=namespace, metadata_filter=metadata_filter)
        result = yield Call("POST", "/v1/memory/semantic/search", json=body, write=False)
        return [SemanticResponse.model_validate(r) for r in result["results"]]

    @api_method
    def get_memory(self, memory_id: str) -> Plan[SemanticResponse]:
        """A memory by id.

        Raises:
            MnemoraNotFoundError: No such live memory for this tenant.
        """
        result = yield Call("GET", f"/v1/memory/semantic/{_seg(memory_id)}")
        return SemanticResponse.model_validate(result)

    @api_method
    def update_memory(
        self,
        memory_id: str,
        content: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Plan[SemanticResponse]:
        """Change a memory's content (re-embedded) and/or replace its metadata."""
        body: dict[str, Any] = {}
        _put(body, content=content, metadata=metadata)
        result = yield Call("PATCH", f"/v1/memory/semantic/{_seg(memory_id)}", json=body)
        return SemanticResponse.model_validate(result)

    @api_method
    def delete_memory(self, memory_id: str) -> Plan[None]:
        """Soft-delete a memory: hidden from reads and search at once; purge erases it."""
        yield Call("DELETE", f"/v1/memory/semantic/{_seg(memory_id)}")

    @api_pages
    def iter_memories(
        self,
        agent_id: str | None = None,
        namespace: str | None = None,
        *,
        page_size: int = 100,
        cursor: str | None = None,
    ) -> Plan[Page[SemanticResponse]]:
        """Every live memory (of an agent, a namespace, or the tenant), oldest first."""
        result = yield Call(
            "GET",
            "/v1/memory/semantic",
            params={
                "agent_id": agent_id,
                "namespace": namespace,
                "limit": page_size,
                "cursor": cursor,
            },
        )
        items = [SemanticResponse.model_validate(m) for m in result["memories"]]
        return items, result.get("next_cursor")

    @api_method
    def embed(self, texts: list[str]) -> Plan[EmbeddingsResponse]:
        """Embed texts with the server's model (counted as embeddings for the tenant)."""
        result = yield Call("POST", "/v1/embeddings", json={"input": texts}, write=False)
        return EmbeddingsResponse.model_validate(result)

    # -- episodic memory ---------------------------------------------------------------------

    @api_method
    def store_episode(
        self,
        agent_id: str,
        session_id: str,
        type: str,
        content: Any,
        metadata: dict[str, Any] | None = None,
        *,
        timestamp: str | None = None,
    ) -> Plan[EpisodeResponse]:
        """Append an episode (the server assigns its id and ingest time).

        Args:
            agent_id: The agent.
            session_id: The session.
            type: ``conversation``, ``action``, ``observation`` or ``tool_call``.
            content: Text or any JSON value.
            metadata: JSON metadata.
            timestamp: ISO 8601 event time, for imports (default: now).
        """
        body: dict[str, Any] = {
            "agent_id": agent_id,
            "session_id": session_id,
            "type": type,
            "content": content,
        }
        _put(body, metadata=metadata, timestamp=timestamp)
        return EpisodeResponse.model_validate(
            (yield Call("POST", "/v1/memory/episodic", json=body))
        )

    @api_method
    def get_episodes(
        self,
        agent_id: str,
        session_id: str | None = None,
        type: str | None = None,
        from_ts: str | None = None,
        to_ts: str | None = None,
        limit: int | None = None,
    ) -> Plan[list[EpisodeResponse]]:
        """The most recent episodes of an agent (newest first), filtered before the limit.

        One page of at most ``limit`` (default 100); :meth:`iter_episodes` walks them all.
        """
        result = yield Call(
            "GET",
            f"/v1/memory/episodic/{_seg(agent_id)}",
            params={
                "session_id": session_id,
                "type": type,
                "from": from_ts,
                "to": to_ts,
                "limit": limit,
            },
        )
        return [EpisodeResponse.model_validate(e) for e in result["episodes"]]

    @api_pages
    def iter_episodes(
        self,
        agent_id: str,
        session_id: str | None = None,
        type: str | None = None,
        from_ts: str | None = None,
        to_ts: str | None = None,
        *,
        page_size: int = 500,
        cursor: str | None = None,
    ) -> Plan[Page[EpisodeResponse]]:
        """Every matching episode of an agent, newest first, across the hot and cold tiers."""
        result = yield Call(
            "GET",
            f"/v1/memory/episodic/{_seg(agent_id)}",
            params={
                "session_id": session_id,
                "type": type,
                "from": from_ts,
                "to": to_ts,
                "limit": page_size,
                "cursor": cursor,
            },
        )
        items = [EpisodeResponse.model_validate(e) for e in result["episodes"]]
        return items, result.get("next_cursor")

    @api_method
    def get_session_episodes(self, agent_id: str, session_id: str) -> Plan[list[EpisodeResponse]]:
        """Replay a whole session in chronological order (follows cursors to the end)."""
        path = f"/v1/memory/episodic/{_seg(agent_id)}/sessions/{_seg(session_id)}"
        items = yield from _every_item(path, "episodes", 5000)
        return [EpisodeResponse.model_validate(item) for item in items]

    @api_method
    def search_episodes(
        self, query: str, agent_id: str | None = None, limit: int = 10
    ) -> Plan[list[EpisodeResponse]]:
        """Episodes whose content matches the words of ``query`` (both tiers)."""
        body: dict[str, Any] = {"query": query, "limit": limit}
        _put(body, agent_id=agent_id)
        result = yield Call("POST", "/v1/memory/episodic/search", json=body, write=False)
        return [EpisodeResponse.model_validate(e) for e in result["results"]]

    # -- procedural memory -------------------------------------------------------------------

    @api_method
    def store_procedure(
        self,
        agent_id: str,
        name: str,
        type: str,
        definition: Any,
        description: str | None = None,
        *,
        active: bool = True,
    ) -> Plan[ProcedureResponse]:
        """Add a version of a tool, schema, prompt or rule (earlier versions stay)."""
        body: dict[str, Any] = {
            "agent_id": agent_id,
            "name": name,
            "type": type,
            "definition": definition,
            "active": active,
        }
        _put(body, description=description)
        result = yield Call("POST", "/v1/memory/procedural", json=body)
        return ProcedureResponse.model_validate(result)

    @api_method
    def get_procedure(
        self, agent_id: str, name: str, version: int | None = None
    ) -> Plan[ProcedureResponse]:
        """A definition: the latest active version, or the asked one."""
        result = yield Call(
            "GET",
            f"/v1/memory/procedural/{_seg(agent_id)}/{_seg(name)}",
            params={"version": version},
        )
        return ProcedureResponse.model_validate(result)

    @api_method
    def list_procedures(self, agent_id: str) -> Plan[list[ProcedureResponse]]:
        """The latest active version of each of an agent's definitions."""
        items = yield from _every_item(
            f"/v1/memory/procedural/{_seg(agent_id)}", "procedures", 1000
        )
        return [ProcedureResponse.model_validate(item) for item in items]

    @api_method
    def delete_procedure(self, agent_id: str, name: str) -> Plan[int]:
        """Delete every version of a definition; returns how many were deleted."""
        result = yield Call("DELETE", f"/v1/memory/procedural/{_seg(agent_id)}/{_seg(name)}")
        return int(result["versions_deleted"])

    # -- across memory types -------------------------------------------------------------------

    @api_method
    def search_all(
        self, query: str, agent_id: str | None = None, top_k: int = 10
    ) -> Plan[list[SearchResult]]:
        """Search semantic and episodic memory in one ranking."""
        body: dict[str, Any] = {"query": query, "top_k": top_k}
        _put(body, agent_id=agent_id)
        result = yield Call("POST", "/v1/memory/search", json=body, write=False)
        return [SearchResult.model_validate(r) for r in result["results"]]

    @api_method
    def get_all_memory(self, agent_id: str) -> Plan[dict[str, Any]]:
        """A view of every memory type of an agent (``state``, ``semantic``, ``episodic``,
        ``procedural``), most recent first."""
        result = yield Call("GET", f"/v1/memory/{_seg(agent_id)}")
        return dict(result)

    @api_method
    def export_agent(self, path: str, agent_id: str | None = None) -> Plan[int]:
        """Download the tenant's memory (or one agent's) as NDJSON into ``path``.

        Progress goes to stderr every 1,000 records. Returns the number of lines written.
        """
        return int(
            (yield Call("GET", "/v1/export", params={"agent_id": agent_id}, download_to=str(path)))
        )

    @api_method
    def import_file(self, path: str) -> Plan[ImportResponse]:
        """Import an NDJSON export into this tenant (idempotent: ids and versions are kept)."""
        with open(path, "rb") as handle:
            data = handle.read()
        result = yield Call("POST", "/v1/import", content=(data, "application/x-ndjson"))
        return ImportResponse.model_validate(result)

    # -- whole agent, usage, health ------------------------------------------------------------

    @api_method
    def purge_agent(self, agent_id: str) -> Plan[PurgeResponse]:
        """Erase every byte of an agent in every store (idempotent).

        Returns:
            Counts of what was removed, per memory type.
        """
        return PurgeResponse.model_validate((yield Call("DELETE", f"/v1/memory/{_seg(agent_id)}")))

    @api_method
    def get_usage(self) -> Plan[UsageResponse]:
        """The tenant's usage this day and month, and its limits."""
        return UsageResponse.model_validate((yield Call("GET", "/v1/usage")))

    @api_method
    def health(self) -> Plan[HealthResponse]:
        """The server's health (needs no key)."""
        return HealthResponse.model_validate((yield Call("GET", "/v1/health")))


def _every_item(path: str, key: str, page_size: int) -> Plan[list[Any]]:
    """Steps that follow a listing's cursors to the end and return every item."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        result = yield Call("GET", path, params={"limit": page_size, "cursor": cursor})
        items.extend(result[key])
        cursor = result.get("next_cursor")
        if not cursor:
            return items


def _put(body: dict[str, Any], **optional: Any) -> None:
    """Add the optional fields that were given."""
    body.update({k: v for k, v in optional.items() if v is not None})


def _seg(value: str) -> str:
    """Quote one path segment, so an id can never change the route it is sent to."""
    return quote(value, safe="")
