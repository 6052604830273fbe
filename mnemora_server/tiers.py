"""Service tiers and the limits each one grants."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class TierLimits(BaseModel):
    """Limits of one tier; every tenant on the tier gets them unless overridden.

    Attributes:
        calls_per_day: Authenticated API calls accepted per UTC day.
        burst_per_second: Calls accepted per second, so that one tenant cannot starve others.
        max_vectors: Semantic records the tenant may keep.
        max_storage_bytes: Bytes of stored memory the tenant may keep.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    calls_per_day: int = Field(ge=0)
    burst_per_second: int = Field(ge=1)
    max_vectors: int = Field(ge=0)
    max_storage_bytes: int = Field(ge=0)


_MB = 1024 * 1024

DEFAULT_TIERS: dict[str, TierLimits] = {
    "free": TierLimits(
        calls_per_day=500, burst_per_second=10, max_vectors=5_000, max_storage_bytes=50 * _MB
    ),
    "starter": TierLimits(
        calls_per_day=5_000, burst_per_second=25, max_vectors=50_000, max_storage_bytes=500 * _MB
    ),
    "pro": TierLimits(
        calls_per_day=25_000,
        burst_per_second=50,
        max_vectors=250_000,
        max_storage_bytes=5 * 1024 * _MB,
    ),
    "scale": TierLimits(
        calls_per_day=50_000,
        burst_per_second=100,
        max_vectors=500_000,
        max_storage_bytes=10 * 1024 * _MB,
    ),
}


def effective_limits(
    tiers: dict[str, TierLimits], tier: str, overrides: dict[str, int]
) -> TierLimits:
    """A tier's limits with a tenant's overrides applied (unknown tiers get the free limits)."""
    base = tiers.get(tier) or tiers.get("free") or next(iter(tiers.values()))
    if not overrides:
        return base
    return base.model_copy(update=overrides)
