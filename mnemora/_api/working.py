"""Working memory: versioned JSON state per agent session."""

from __future__ import annotations

from typing import Any

from mnemora._api.descriptors import api_method
from mnemora._api.paths import every_item, segment
from mnemora._core import Call, Plan
from mnemora.models import SessionPage, StateResponse


class WorkingMemoryApi:
    """Working-memory methods of both clients."""

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
        data = yield Call(
            "GET", f"/v1/state/{segment(agent_id)}", params={"session_id": session_id}
        )
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
        """Replace a session's state if its current version is ``version``; ``version=0``
        creates it only if the session has no live state.

        Raises:
            MnemoraConflictError: Someone else wrote first (or, for 0, the state exists);
                re-read and retry.
            MnemoraNotFoundError: No live state for that session (for a version above 0).
        """
        body: dict[str, Any] = {"data": data, "version": version, "session_id": session_id}
        if ttl_hours is not None:
            body["ttl_hours"] = ttl_hours
        result = yield Call("PUT", f"/v1/state/{segment(agent_id)}", json=body)
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
        result = yield Call("PATCH", f"/v1/state/{segment(agent_id)}", json=body)
        return StateResponse.model_validate(result)

    @api_method
    def delete_state(self, agent_id: str, session_id: str) -> Plan[None]:
        """Delete a session's state.

        Raises:
            MnemoraNotFoundError: No live state for that session.
        """
        yield Call("DELETE", f"/v1/state/{segment(agent_id)}/{segment(session_id)}")

    @api_method
    def list_sessions(self, agent_id: str) -> Plan[list[str]]:
        """Every live session id of an agent (follows cursors to the end)."""
        items = yield from every_item(f"/v1/state/{segment(agent_id)}/sessions", "sessions", 1000)
        return [str(item) for item in items]

    @api_method
    def list_sessions_page(
        self, agent_id: str, limit: int = 100, cursor: str | None = None
    ) -> Plan[SessionPage]:
        """One page of an agent's session ids; pass ``next_cursor`` back to continue."""
        data = yield Call(
            "GET",
            f"/v1/state/{segment(agent_id)}/sessions",
            params={"limit": limit, "cursor": cursor},
        )
        return SessionPage.model_validate(data)
