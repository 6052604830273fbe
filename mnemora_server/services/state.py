"""Working memory: versioned JSON state per agent session, with optional sliding TTL."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mnemora_server.errors import NotFoundError, PayloadTooLargeError, VersionConflictError
from mnemora_server.services.cursors import decode_cursor, encode_cursor
from mnemora_server.stores.base import StateRecord, StateStore, TtlChange

DEFAULT_SESSION = "default"
_PATCH_ATTEMPTS = 20


@dataclass(frozen=True)
class SessionPage:
    """One page of an agent's session ids.

    Attributes:
        sessions: Session ids in ascending order.
        next_cursor: Cursor for the next page, or ``None`` at the end.
    """

    sessions: list[str]
    next_cursor: str | None


def ttl_change(ttl_hours: float | None, given: bool, now: float) -> TtlChange:
    """Translate a request's ``ttl_hours`` into a :class:`TtlChange`.

    Args:
        ttl_hours: The value sent, if any.
        given: Whether the request named ``ttl_hours`` at all (``null`` clears the expiry).
        now: The current time.
    """
    if not given:
        return TtlChange("keep")
    if ttl_hours is None:
        return TtlChange("clear")
    return TtlChange("set", now + ttl_hours * 3600.0)


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply a JSON merge patch (RFC 7396) to ``target`` and return the result."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class StateService:
    """The rules of working memory, over any :class:`StateStore`."""

    def __init__(
        self, store: StateStore, *, max_state_bytes: int, clock: Callable[[], float]
    ) -> None:
        self._store = store
        self._max_bytes = max_state_bytes
        self._clock = clock

    def store(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        ttl_hours: float | None = None,
        *,
        ttl_given: bool = False,
    ) -> StateRecord:
        """Write a session's state unconditionally (the version still grows by one)."""
        self._check_size(data)
        now = self._clock()
        ttl = ttl_change(ttl_hours, ttl_given, now)
        return self._store.put(tenant_id, agent_id, session_id, data, ttl, now)

    def get(self, tenant_id: str, agent_id: str, session_id: str) -> StateRecord:
        """A session's live state.

        Raises:
            NotFoundError: No live state for that session.
        """
        record = self._store.get(tenant_id, agent_id, session_id, self._clock())
        if record is None:
            raise NotFoundError(f"no state for session {session_id!r} of agent {agent_id!r}")
        return record

    def update(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        version: int,
        ttl_hours: float | None = None,
        *,
        ttl_given: bool = False,
    ) -> StateRecord:
        """Replace a session's state if its version is ``version``.

        Raises:
            NotFoundError: No live state for that session.
            VersionConflictError: The version is stale.
        """
        self._check_size(data)
        now = self._clock()
        ttl = ttl_change(ttl_hours, ttl_given, now)
        return self._store.put_if_version(tenant_id, agent_id, session_id, data, version, ttl, now)

    def patch(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        patch: dict[str, Any],
        version: int | None,
        ttl_hours: float | None = None,
        *,
        ttl_given: bool = False,
    ) -> StateRecord:
        """Apply a JSON merge patch to a session's state.

        With ``version``, the patch applies only to that version (409 otherwise). Without it,
        the patch applies to whatever is current, atomically: a concurrent write is never lost,
        the patch is re-applied to the newer state instead.
        """
        for _ in range(_PATCH_ATTEMPTS):
            current = self.get(tenant_id, agent_id, session_id)
            if version is not None and current.version != version:
                raise VersionConflictError(
                    f"version {version} is stale; the current version is {current.version}",
                    details={"expected_version": version, "current_version": current.version},
                )
            merged = merge_patch(current.data, patch)
            try:
                return self.update(
                    tenant_id,
                    agent_id,
                    session_id,
                    merged,
                    current.version,
                    ttl_hours,
                    ttl_given=ttl_given,
                )
            except VersionConflictError:
                if version is not None:
                    raise
        raise VersionConflictError("the state changed too often while patching; retry")

    def delete(self, tenant_id: str, agent_id: str, session_id: str) -> None:
        """Delete a session's state.

        Raises:
            NotFoundError: No live state for that session.
        """
        if not self._store.delete(tenant_id, agent_id, session_id, self._clock()):
            raise NotFoundError(f"no state for session {session_id!r} of agent {agent_id!r}")

    def list_sessions(
        self, tenant_id: str, agent_id: str, *, limit: int, cursor: str | None
    ) -> SessionPage:
        """A page of an agent's live session ids."""
        position = decode_cursor(cursor, kind="sessions")
        after = str(position["after"]) if position else None
        ids = self._store.list_sessions(
            tenant_id, agent_id, self._clock(), limit=limit + 1, after=after
        )
        has_more = len(ids) > limit
        ids = ids[:limit]
        next_cursor = encode_cursor({"k": "sessions", "after": ids[-1]}) if has_more else None
        return SessionPage(sessions=ids, next_cursor=next_cursor)

    def _check_size(self, data: dict[str, Any]) -> None:
        size = len(json.dumps(data, separators=(",", ":")).encode())
        if size > self._max_bytes:
            raise PayloadTooLargeError(
                f"state is {size} bytes; the limit is {self._max_bytes}",
                details={"size": size, "limit": self._max_bytes},
            )
