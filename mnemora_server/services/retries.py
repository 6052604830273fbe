"""What makes a retried write land once: ``Idempotency-Key`` claims, and the identity of the
client's request.

A write sent with an ``Idempotency-Key`` whose first attempt failed without an answer (a lost
response, a timeout, a dead process) may or may not have been applied. Its retry takes over
the key (see ``IdempotencyStore.begin``) together with the first attempt's start time, and the
services derive the new records' ids and server times from both. The retry therefore writes
the very records the first attempt may have written, and the stores, which refuse a second
record under an existing id, keep one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from mnemora_server.errors import IdempotencyConflictError, UnavailableError
from mnemora_server.stores.base import IdempotencyStore

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestOrigin:
    """One client request across all its attempts.

    Attributes:
        tenant_id: The tenant that sent it.
        key: Its ``Idempotency-Key``.
        started_at: When its first attempt started (the server time of what it creates).
    """

    tenant_id: str
    key: str
    started_at: float

    def token(self, index: int) -> str:
        """A stable 12-hex-digit token for the ``index``-th record the request creates."""
        material = f"{self.tenant_id}\0{self.key}\0{index}".encode()
        return hashlib.sha256(material).hexdigest()[:12]


@dataclass(frozen=True)
class Replay:
    """The remembered answer to a request that already ran.

    Attributes:
        status: Its HTTP status.
        body: Its envelope without ``meta`` (JSON text), or ``None``.
    """

    status: int
    body: str | None


class IdempotencyService:
    """Writes retried with the same ``Idempotency-Key`` run once, per tenant.

    A key is claimed by the first attempt; its answer is remembered for ``ttl_seconds`` and
    replayed to every retry. A key reused for another request is refused, as is a retry while
    the first attempt still runs. An attempt that failed (5xx, 429) releases its claim, and a
    claim left by a dead process lapses after ``lock_seconds``: its retry then takes it over
    as the same :class:`RequestOrigin`.

    Args:
        store: Where claims and answers are kept.
        ttl_seconds: How long a finished answer is replayed.
        lock_seconds: How long an unfinished attempt holds its key.
        clock: The time source.
    """

    def __init__(
        self,
        store: IdempotencyStore,
        *,
        ttl_seconds: int,
        lock_seconds: int,
        clock: Callable[[], float],
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._lock = lock_seconds
        self._clock = clock

    def claim(self, tenant_id: str, key: str, fingerprint: str) -> RequestOrigin | Replay:
        """Claim ``key`` for the request with this fingerprint: the origin to run it as, or
        the answer to replay.

        Raises:
            IdempotencyConflictError: The key belongs to another request, or its first
                attempt is still running.
        """
        now = self._clock()
        existing = self._store.begin(tenant_id, key, fingerprint, now, lock_seconds=self._lock)
        if existing is None or existing.reclaimed:
            started = now if existing is None else existing.started_at
            return RequestOrigin(tenant_id, key, started)
        if existing.fingerprint != fingerprint:
            raise IdempotencyConflictError("this Idempotency-Key was used for a different request")
        if not existing.finished:
            raise IdempotencyConflictError(
                "a request with this Idempotency-Key is still in progress; retry later",
                headers={"Retry-After": "1"},
            )
        return Replay(existing.status, existing.body)

    def remember(
        self, tenant_id: str, key: str, *, status: int, body: str | None, agent_id: str | None
    ) -> None:
        """Keep the answer of a claimed key (the write stands even if this fails)."""
        try:
            self._store.finish(
                tenant_id,
                key,
                status=status,
                body=body,
                agent_id=agent_id,
                now=self._clock(),
                ttl_seconds=self._ttl,
            )
        except UnavailableError:
            # The write itself succeeded; its answer stands. The claim expires after the lock
            # period, after which a retry runs again.
            _log.warning("could not remember the answer for an Idempotency-Key", exc_info=True)

    def release(self, tenant_id: str, key: str) -> None:
        """Let a retry of a failed attempt take the key over at once."""
        self._store.release(tenant_id, key)
