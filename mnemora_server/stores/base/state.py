"""Working memory: records and the store protocol."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from mnemora_server.errors import NotFoundError, VersionConflictError
from mnemora_server.stores.base.common import Store


@dataclass(frozen=True)
class StateRecord:
    """One working-memory document of an agent session.

    Attributes:
        agent_id: Owning agent.
        session_id: Session within the agent.
        data: The JSON document.
        version: Monotonic version; never reset for the same session key.
        created_at: When the current document was created (epoch seconds).
        updated_at: Last write (epoch seconds).
        expires_at: Expiry (epoch seconds) or ``None``.
    """

    agent_id: str
    session_id: str
    data: dict[str, Any]
    version: int
    created_at: float
    updated_at: float
    expires_at: float | None


@dataclass(frozen=True)
class TtlChange:
    """How a write changes a session's expiry.

    Attributes:
        mode: ``keep`` the current expiry, ``set`` a new one, or ``clear`` it.
        expires_at: The new expiry when ``mode`` is ``set``.
    """

    mode: Literal["keep", "set", "clear"] = "keep"
    expires_at: float | None = None

    def applied_to(self, current_expiry: float | None, *, live: bool) -> float | None:
        """The expiry after a write, given the document's current one and whether it is live
        (an expired or deleted document has nothing to keep)."""
        if self.mode == "set":
            return self.expires_at
        if self.mode == "keep" and live:
            return current_expiry
        return None


@dataclass(frozen=True)
class StoredVersion:
    """What a store holds for a session key before a write: its last version (a deleted
    document's tombstone keeps it, so versions are never reused), and whether it is live.

    Attributes:
        version: The last version written.
        created_at: When the current document was created.
        expires_at: Its expiry, or ``None``.
        deleted: Whether it is a tombstone.
    """

    version: int
    created_at: float
    expires_at: float | None
    deleted: bool

    def is_live(self, now: float) -> bool:
        """Whether the document exists for readers at ``now`` (not deleted, not expired)."""
        return not self.deleted and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class NextVersion:
    """The version, creation time and expiry a write gives a session's document.

    Attributes:
        version: One more than the last ever stored.
        created_at: Kept from a live document; now for a new or revived one.
        expires_at: As the write's :class:`TtlChange` decides.
    """

    version: int
    created_at: float
    expires_at: float | None

    @classmethod
    def after(cls, current: StoredVersion | None, ttl: TtlChange, now: float) -> NextVersion:
        """The next version after ``current`` (``None``: never written)."""
        if current is None:
            return cls(1, now, ttl.applied_to(None, live=False))
        live = current.is_live(now)
        return cls(
            current.version + 1,
            current.created_at if live else now,
            ttl.applied_to(current.expires_at, live=live),
        )


def require_version(
    current: StoredVersion | None,
    expected_version: int,
    now: float,
    *,
    agent_id: str,
    session_id: str,
) -> StoredVersion | None:
    """The document a conditional write may replace: the live one of ``expected_version``,
    or, for ``expected_version`` 0 (create only), none live (a tombstone or nothing).

    Raises:
        NotFoundError: No live document (for a version above 0).
        VersionConflictError: Its version is not ``expected_version``, or a live document
            exists where 0 asked for none.
    """
    live = current is not None and current.is_live(now)
    if expected_version == 0:
        if live:
            assert current is not None
            raise VersionConflictError(
                f"session {session_id!r} of agent {agent_id!r} has state already",
                details={"expected_version": 0, "current_version": current.version},
            )
        return current
    if current is None or not live:
        raise NotFoundError(f"no state for session {session_id!r} of agent {agent_id!r}")
    if current.version != expected_version:
        raise VersionConflictError(
            f"version {expected_version} is stale; the current version is {current.version}",
            details={"expected_version": expected_version, "current_version": current.version},
        )
    return current


@dataclass(frozen=True)
class StateStats:
    """Aggregate figures of one tenant's working memory.

    Attributes:
        agents: Agents with at least one live session.
        sessions: Live sessions.
        bytes: Bytes of live documents.
    """

    agents: int = 0
    sessions: int = 0
    bytes: int = 0


class StateStore(Store, Protocol):
    """Working memory: one versioned JSON document per tenant, agent and session."""

    def put(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        ttl: TtlChange,
        now: float,
    ) -> StateRecord:
        """Write unconditionally; the version grows by one from the last one ever stored."""

    def put_if_version(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        data: dict[str, Any],
        expected_version: int,
        ttl: TtlChange,
        now: float,
    ) -> StateRecord:
        """Write only if the live document has ``expected_version``.

        Raises:
            NotFoundError: No live document.
            VersionConflictError: The version differs.
        """

    def get(self, tenant_id: str, agent_id: str, session_id: str, now: float) -> StateRecord | None:
        """The live document, or ``None`` (absent, deleted or expired)."""

    def list_sessions(
        self, tenant_id: str, agent_id: str, now: float, *, limit: int, after: str | None
    ) -> list[str]:
        """Live session ids of an agent in ascending order, starting after ``after``."""

    def delete(self, tenant_id: str, agent_id: str, session_id: str, now: float) -> bool:
        """Delete a live document (its version is remembered); ``False`` if none."""

    def stats(self, tenant_id: str, now: float) -> StateStats:
        """Aggregate figures of the tenant's live documents."""

    def export(self, tenant_id: str, agent_id: str | None, now: float) -> Iterator[StateRecord]:
        """Every live document of the tenant (or agent)."""

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Live documents (sessions), per agent of the tenant (agents holding none left out)."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every row of the agent, tombstones included; return live documents removed."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every row of the tenant; return live documents removed."""
