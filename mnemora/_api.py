"""The API methods, written once for both clients.

Each method is a plan (see :mod:`mnemora._core`). The :class:`api_method` descriptor turns it
into a plain method on :class:`~mnemora.MnemoraSync` and a coroutine method on
:class:`~mnemora.MnemoraClient`, with the same name, signature and docstring.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload
from urllib.parse import quote

from mnemora._core import Call, Plan
from mnemora._transport import AsyncTransport, SyncTransport
from mnemora.models import HealthResponse, PurgeResponse, SessionPage, StateResponse, UsageResponse

P = ParamSpec("P")
R = TypeVar("R")


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
        sessions: list[str] = []
        cursor: str | None = None
        while True:
            page = SessionPage.model_validate(
                (
                    yield Call(
                        "GET",
                        f"/v1/state/{_seg(agent_id)}/sessions",
                        params={"limit": 1000, "cursor": cursor},
                    )
                )
            )
            sessions.extend(page.sessions)
            if not page.next_cursor:
                return sessions
            cursor = page.next_cursor

    @api_method
    def list_sessions_page(
        self, agent_id: str, limit: int = 100, cursor: str | None = None
    ) -> Plan[SessionPage]:
        """One page of an agent's session ids; pass ``next_cursor`` back to continue."""
        data = yield Call(
            "GET", f"/v1/state/{_seg(agent_id)}/sessions", params={"limit": limit, "cursor": cursor}
        )
        return SessionPage.model_validate(data)

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


def _seg(value: str) -> str:
    """Quote one path segment, so an id can never change the route it is sent to."""
    return quote(value, safe="")
