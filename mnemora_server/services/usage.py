"""Per-tenant usage reports for billing and dashboards."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mnemora_server.stores.base import Stores
from mnemora_server.tiers import TierLimits

DAILY_FIELDS = ("calls", "accepted", "rejected", "embeddings", "vectors", "storage_bytes")
"""What a day of usage history holds: counters (summed over the day) and gauges (the latest
value measured that day; ``None`` on a day nobody measured them)."""


class UsageService:
    """Assembles exact usage figures of one tenant from the usage counters and the stores."""

    def __init__(self, stores: Stores, clock: Callable[[], float]) -> None:
        self._stores = stores
        self._clock = clock

    def storage_bytes(self, tenant_id: str) -> int:
        """Bytes of stored memory of the tenant, over every store."""
        now = self._clock()
        return (
            self._stores.state.stats(tenant_id, now).bytes
            + self._stores.semantic.totals(tenant_id).bytes
            + self._stores.episodes.totals(tenant_id).bytes
            + self._stores.procedures.totals(tenant_id)[1]
            + self._stores.checkpoints.totals(tenant_id).bytes
            + self._stores.items.totals(tenant_id, now).bytes
        )

    def agents(self, tenant_id: str) -> list[dict[str, Any]]:
        """Each agent of the tenant with what it holds in every memory type, by agent id."""
        now = self._clock()
        stores = self._stores
        per_type = {
            "state": stores.state.agent_counts(tenant_id, now),
            "semantic": stores.semantic.agent_counts(tenant_id, now),
            "episodic": stores.episodes.agent_counts(tenant_id, now),
            "procedural": stores.procedures.agent_counts(tenant_id, now),
            "checkpoints": stores.checkpoints.agent_counts(tenant_id, now),
            "items": stores.items.agent_counts(tenant_id, now),
        }
        agents = sorted(set().union(*per_type.values()))
        return [
            {"agent_id": agent, **{kind: counts.get(agent, 0) for kind, counts in per_type.items()}}
            for agent in agents
        ]

    def daily(self, tenant_id: str, days: int) -> list[dict[str, Any]]:
        """The tenant's last ``days`` UTC days (today included), oldest first, every day
        present: counters default to 0 and gauges to ``None``; today's gauges are measured
        now."""
        now = self._clock()
        self._stores.usage.set_gauge(
            tenant_id, "vectors", self._stores.semantic.totals(tenant_id).vectors, now
        )
        self._stores.usage.set_gauge(tenant_id, "storage_bytes", self.storage_bytes(tenant_id), now)
        today = datetime.fromtimestamp(now, UTC).date()
        first = today - timedelta(days=days - 1)
        found: dict[str, dict[str, int]] = {}
        for day, name, value in self._stores.usage.daily(tenant_id, first.isoformat()):
            found.setdefault(day, {})[name] = value
        history = []
        for offset in range(days):
            day = (first + timedelta(days=offset)).isoformat()
            values = found.get(day, {})
            history.append(
                {
                    "day": day,
                    **{name: values.get(name, 0) for name in DAILY_FIELDS[:4]},
                    **{name: values.get(name) for name in DAILY_FIELDS[4:]},
                }
            )
        return history

    def report(self, tenant_id: str, tier: str, limits: TierLimits) -> dict[str, Any]:
        """The usage document of ``GET /v1/usage`` (0.1.x field names kept)."""
        now = self._clock()
        counters = self._stores.usage.counters(tenant_id, now)
        state = self._stores.state.stats(tenant_id, now)
        semantic = self._stores.semantic.totals(tenant_id)
        episodes = self._stores.episodes.totals(tenant_id)
        procedures, procedure_bytes = self._stores.procedures.totals(tenant_id)
        checkpoints = self._stores.checkpoints.totals(tenant_id)
        items = self._stores.items.totals(tenant_id, now)
        storage_bytes = (
            state.bytes
            + semantic.bytes
            + episodes.bytes
            + procedure_bytes
            + checkpoints.bytes
            + items.bytes
        )
        self._stores.usage.set_gauge(tenant_id, "vectors", semantic.vectors, now)
        self._stores.usage.set_gauge(tenant_id, "storage_bytes", storage_bytes, now)
        return {
            "tenant_id": tenant_id,
            "tier": tier,
            "billing_period": datetime.fromtimestamp(now, UTC).strftime("%Y-%m"),
            "api_calls_today": counters.calls_today,
            "api_calls_month": counters.calls_month,
            "rate_limited_month": counters.rejected_month,
            "embeddings_generated_today": counters.embeddings_today,
            "embeddings_generated_month": counters.embeddings_month,
            "vectors_stored": semantic.vectors,
            "memories_stored": semantic.records,
            "storage_bytes": storage_bytes,
            "episodes_stored": episodes.episodes,
            "storage": {
                "state_bytes": state.bytes,
                "semantic_bytes": semantic.bytes,
                "episodic_bytes": episodes.bytes,
                "procedural_bytes": procedure_bytes,
                "checkpoint_bytes": checkpoints.bytes,
                "item_bytes": items.bytes,
            },
            "procedures_stored": procedures,
            "checkpoints_stored": checkpoints.checkpoints,
            "threads_count": checkpoints.threads,
            "items_stored": items.items,
            "item_vectors_stored": items.vectors,
            "agents_count": max(state.agents, semantic.agents, episodes.agents),
            "sessions_count": state.sessions,
            "limits": {
                "calls_per_day": limits.calls_per_day,
                "calls_remaining_today": max(0, limits.calls_per_day - counters.accepted_today),
                "burst_per_second": limits.burst_per_second,
                "max_vectors": limits.max_vectors,
                "max_storage_bytes": limits.max_storage_bytes,
            },
        }
