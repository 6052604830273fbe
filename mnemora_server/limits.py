"""Per-tenant call limits and metering."""

from __future__ import annotations

from mnemora_server.auth import TenantContext
from mnemora_server.errors import RateLimitedError
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
