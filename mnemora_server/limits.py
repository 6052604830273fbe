"""Per-tenant call limits and metering."""

from __future__ import annotations

import threading
from collections.abc import Callable

from mnemora_server.auth import TenantContext
from mnemora_server.errors import QuotaExceededError, RateLimitedError
from mnemora_server.stores.base import CallDecision, UsageStore


def rate_limit_headers(decision: CallDecision) -> dict[str, str]:
    """The ``X-RateLimit-*`` headers describing the daily window after ``decision``."""
    return {
        "X-RateLimit-Limit": str(decision.daily_limit),
        "X-RateLimit-Remaining": str(decision.daily_remaining),
        "X-RateLimit-Reset": str(decision.reset_at),
    }


class CallMeter:
    """Counts every authenticated call exactly once and enforces the daily and burst limits."""

    def __init__(self, usage: UsageStore) -> None:
        self._usage = usage

    def admit(self, tenant: TenantContext, now: float) -> CallDecision:
        """Count the call; return the decision if it is within limits.

        Raises:
            RateLimitedError: The daily or per-second limit is reached; carries
                ``Retry-After`` and ``X-RateLimit-*`` headers.
        """
        decision = self._usage.record_call(
            tenant.tenant_id,
            now,
            calls_per_day=tenant.limits.calls_per_day,
            burst_per_second=tenant.limits.burst_per_second,
        )
        if decision.allowed:
            return decision
        headers = rate_limit_headers(decision)
        headers["Retry-After"] = str(decision.retry_after)
        if decision.reason == "burst":
            message = f"more than {tenant.limits.burst_per_second} calls in one second"
        else:
            message = f"daily limit of {decision.daily_limit} calls reached"
        raise RateLimitedError(
            message,
            details={"limit": decision.reason, "retry_after": decision.retry_after},
            headers=headers,
        )


class StorageQuota:
    """Refuses writes that would take a tenant past its tier's storage quota (507).

    The bytes in use are the exact sum over every store (as ``GET /v1/usage`` reports them),
    computed at most once per ``refresh_seconds`` per tenant and process; in between, each
    admitted write adds its body size. Deletes are never refused, so a tenant over its quota
    can always free space. (The vector quota is exact: it is checked inside the write.)

    Args:
        measure: Returns a tenant's stored bytes.
        clock: Time source.
        refresh_seconds: How long a measurement is reused.
    """

    def __init__(
        self,
        measure: Callable[[str], int],
        clock: Callable[[], float],
        refresh_seconds: float = 5.0,
    ) -> None:
        self._measure = measure
        self._clock = clock
        self._refresh = refresh_seconds
        self._known: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def admit(self, tenant: TenantContext, adding: int) -> None:
        """Account for a write of ``adding`` bytes, or refuse it.

        Raises:
            QuotaExceededError: The write would exceed ``max_storage_bytes``.
        """
        now = self._clock()
        with self._lock:
            known = self._known.get(tenant.tenant_id)
        if known is None or known[0] <= now:
            used = self._measure(tenant.tenant_id)
            known = (now + self._refresh, used)
        limit = tenant.limits.max_storage_bytes
        used = known[1]
        if used + adding > limit:
            with self._lock:
                self._known[tenant.tenant_id] = known
            raise QuotaExceededError(
                f"the tier allows {limit} bytes of storage; {used} are in use",
                details={"limit": limit, "used": used},
            )
        with self._lock:
            self._known[tenant.tenant_id] = (known[0], used + adding)
