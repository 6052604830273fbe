"""Tenants, API keys, usage counters and idempotency records: records and store protocols."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from mnemora_server.stores.base.common import Store

KeyScope = Literal["read_write", "read_only"]


@dataclass(frozen=True)
class Tenant:
    """A customer of the SaaS platform.

    Attributes:
        tenant_id: The tenant's identifier.
        tier: Name of the tier whose limits apply.
        limits: Per-tenant overrides of tier limits (field name -> value).
        created_at: Creation time, seconds since the epoch.
    """

    tenant_id: str
    tier: str
    limits: dict[str, int] = field(default_factory=dict)
    created_at: float = 0.0


@dataclass(frozen=True)
class ApiKeyRecord:
    """What is stored of an API key: never the key itself, only its SHA-256.

    Attributes:
        key_id: Public identifier of the key (safe to log and list).
        tenant_id: The tenant the key authenticates.
        key_hash: Hex SHA-256 of the full key.
        prefix: The first characters of the key, to help people recognise it.
        scope: ``read_write`` or ``read_only``.
        created_at: Creation time (epoch seconds).
        expires_at: Expiry (epoch seconds) or ``None``.
        revoked_at: Revocation time or ``None``.
    """

    key_id: str
    tenant_id: str
    key_hash: str
    prefix: str
    scope: KeyScope
    created_at: float
    expires_at: float | None = None
    revoked_at: float | None = None


@dataclass(frozen=True)
class CallDecision:
    """The outcome of counting one authenticated call against its limits.

    Attributes:
        allowed: Whether the call may proceed.
        reason: ``None`` when allowed, else ``"daily"`` or ``"burst"``.
        daily_limit: Calls allowed per UTC day.
        daily_remaining: Calls left today after this one.
        reset_at: Epoch second at which the daily window resets.
        retry_after: Seconds to wait before retrying, when refused.
    """

    allowed: bool
    reason: Literal["daily", "burst"] | None
    daily_limit: int
    daily_remaining: int
    reset_at: int
    retry_after: int = 0


@dataclass(frozen=True)
class UsageCounters:
    """Exact per-tenant counters for one day and its month.

    Attributes:
        calls_today: Authenticated calls today (accepted or refused).
        accepted_today: Calls accepted today (counted against the daily limit).
        calls_month: Authenticated calls this month.
        rejected_month: Calls refused by a limit this month.
        embeddings_today: Embeddings generated today.
        embeddings_month: Embeddings generated this month.
    """

    calls_today: int = 0
    accepted_today: int = 0
    calls_month: int = 0
    rejected_month: int = 0
    embeddings_today: int = 0
    embeddings_month: int = 0


@dataclass(frozen=True)
class UsageDay:
    """The UTC day a moment falls in, as usage counters are kept: one row per tenant, day and
    counter (``calls``, ``accepted``, ``rejected``, ``embeddings``), summed per month.

    Attributes:
        day: ``YYYY-MM-DD``.
        month: ``YYYY-MM-`` (every day of the month starts with it).
        second: The whole second of the moment (the burst window).
        reset_at: The epoch second at which the next day starts.
    """

    day: str
    month: str
    second: int
    reset_at: int

    @classmethod
    def of(cls, now: float) -> UsageDay:
        """The day of ``now`` (epoch seconds)."""
        moment = datetime.fromtimestamp(now, UTC)
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(
            day=moment.strftime("%Y-%m-%d"),
            month=moment.strftime("%Y-%m-"),
            second=int(now),
            reset_at=int((midnight + timedelta(days=1)).timestamp()),
        )

    def decision(
        self, refused: Literal["daily", "burst"] | None, *, accepted: int, calls_per_day: int
    ) -> CallDecision:
        """The answer to a call counted today, ``accepted`` calls admitted so far today (this
        one included when admitted); a refused call waits for the next second or day."""
        retry_after = 0
        if refused == "daily":
            retry_after = max(1, self.reset_at - self.second)
        elif refused == "burst":
            retry_after = 1
        return CallDecision(
            allowed=refused is None,
            reason=refused,
            daily_limit=calls_per_day,
            daily_remaining=max(0, calls_per_day - accepted),
            reset_at=self.reset_at,
            retry_after=retry_after,
        )

    def counters(self, rows: Iterable[tuple[str, str, int]]) -> UsageCounters:
        """The counters of this day and its month from ``(day, counter, value)`` rows of the
        month."""
        today: dict[str, int] = {}
        month: dict[str, int] = {}
        for day, counter, value in rows:
            month[counter] = month.get(counter, 0) + value
            if day == self.day:
                today[counter] = today.get(counter, 0) + value
        return UsageCounters(
            calls_today=today.get("calls", 0),
            accepted_today=today.get("accepted", 0),
            calls_month=month.get("calls", 0),
            rejected_month=month.get("rejected", 0),
            embeddings_today=today.get("embeddings", 0),
            embeddings_month=month.get("embeddings", 0),
        )


@dataclass(frozen=True)
class IdempotencyRecord:
    """A remembered answer to a write sent with an ``Idempotency-Key``.

    Attributes:
        fingerprint: Hash of method, path and body of the first request.
        finished: Whether the first request finished (else it is still running).
        status: HTTP status of the first answer.
        body: The first answer's ``data`` (JSON text), or ``None``.
        reclaimed: This request takes over an earlier attempt of the same request that
            failed or died without an answer; it should redo exactly what that one did.
        started_at: When the first attempt started (for a reclaimed key).
    """

    fingerprint: str
    finished: bool
    status: int = 0
    body: str | None = None
    reclaimed: bool = False
    started_at: float = 0.0


class AccountStore(Store, Protocol):
    """Tenants and their API keys."""

    def create_tenant(self, tenant: Tenant) -> Tenant:
        """Insert a tenant; raise ``AlreadyExistsError`` if the id is taken."""

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        """Return the tenant or ``None``."""

    def list_tenants(self, *, limit: int, after: str | None) -> list[Tenant]:
        """Tenants ordered by id, starting after ``after``."""

    def update_tenant(
        self, tenant_id: str, *, tier: str | None, limits: dict[str, int] | None
    ) -> Tenant | None:
        """Change tier and/or limit overrides; ``None`` if there is no such tenant."""

    def delete_tenant(self, tenant_id: str) -> bool:
        """Delete the tenant row and every key of the tenant."""

    def create_key(self, record: ApiKeyRecord) -> None:
        """Insert a key record (hash only)."""

    def find_key(self, key_hash: str) -> tuple[ApiKeyRecord, Tenant] | None:
        """The key with this hash and its tenant, revoked or not, or ``None``."""

    def list_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        """Every key of the tenant, newest first."""

    def revoke_key(self, key_id: str, now: float, *, tenant_id: str | None = None) -> bool:
        """Revoke a key (of ``tenant_id``, when given); ``False`` if not found."""

    def revoke_tenant_keys(self, tenant_id: str, now: float) -> int:
        """Revoke every key of a tenant; return how many were live."""


class UsageStore(Store, Protocol):
    """Exact per-tenant counters and call limits, safe across processes."""

    def record_call(
        self, tenant_id: str, now: float, *, calls_per_day: int, burst_per_second: int
    ) -> CallDecision:
        """Count one authenticated call and decide, atomically, whether it is within limits."""

    def add(self, tenant_id: str, counter: str, amount: int, now: float) -> None:
        """Add ``amount`` to a named daily counter (for example ``embeddings``)."""

    def counters(self, tenant_id: str, now: float) -> UsageCounters:
        """The tenant's counters for the day and month containing ``now``."""

    def set_gauge(self, tenant_id: str, gauge: str, value: int, now: float) -> None:
        """Record the latest value of a named daily gauge (``vectors``, ``storage_bytes``):
        unlike a counter it is replaced, not added to."""

    def daily(self, tenant_id: str, first_day: str) -> list[tuple[str, str, int]]:
        """Every ``(day, counter or gauge, value)`` of the tenant from ``first_day``
        (``YYYY-MM-DD``) on, oldest first, by name within a day."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete every counter of the tenant."""


class IdempotencyStore(Store, Protocol):
    """Remembered answers to writes, keyed by tenant and ``Idempotency-Key``."""

    def begin(
        self, tenant_id: str, key: str, fingerprint: str, now: float, *, lock_seconds: int
    ) -> IdempotencyRecord | None:
        """Claim the key. Return ``None`` if claimed afresh; a ``reclaimed`` record if an
        earlier attempt of the same request (same fingerprint) failed or died unanswered and
        its claim has lapsed; else the record that holds the key."""

    def finish(
        self,
        tenant_id: str,
        key: str,
        *,
        status: int,
        body: str | None,
        agent_id: str | None,
        now: float,
        ttl_seconds: int,
    ) -> None:
        """Store the answer of a claimed key."""

    def release(self, tenant_id: str, key: str) -> None:
        """Let a retry take over an unfinished claim at once (it keeps its fingerprint and
        start time, so the retry can redo the same write instead of a second one)."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Delete the records of writes to one agent."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete every record of the tenant."""
