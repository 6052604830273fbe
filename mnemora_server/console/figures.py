"""What the console's pages show, assembled from the services the admin API uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from mnemora_server.console.charts import Bar, bar_chart, human_bytes
from mnemora_server.metrics import request_summary
from mnemora_server.schemas.admin import KeyOut
from mnemora_server.services.registry import Services
from mnemora_server.settings import Settings, StoreKind
from mnemora_server.startup import redacted

CHART_DAYS = 30
"""How many days the tenant page charts."""


@dataclass(frozen=True)
class Gauge:
    """A figure against its limit."""

    used: int
    limit: int

    @property
    def share(self) -> float:
        """How much of the limit is used (1.0 = all of it; a limit of 0 counts as full)."""
        return self.used / self.limit if self.limit else 1.0


@dataclass(frozen=True)
class TenantRow:
    """One line of the tenants page."""

    tenant_id: str
    tier: str
    status: str
    calls: Gauge
    vectors: Gauge
    storage: Gauge

    @property
    def closeness(self) -> float:
        """How close the tenant is to its nearest limit."""
        return max(self.calls.share, self.vectors.share, self.storage.share)


def tenant_rows(services: Services, search: str, now: float) -> list[TenantRow]:
    """Every tenant whose id contains ``search``, closest to a limit first."""
    rows = []
    after = None
    while True:
        page = services.accounts.list_tenants(limit=500, after=after)
        for tenant in page:
            if search.lower() not in tenant.tenant_id.lower():
                continue
            limits = services.accounts.limits_of(tenant)
            usage = services.usage.report(tenant.tenant_id, tenant.tier, limits)
            live_keys = sum(
                KeyOut.of(key, now).active for key in services.accounts.list_keys(tenant.tenant_id)
            )
            rows.append(
                TenantRow(
                    tenant_id=tenant.tenant_id,
                    tier=tenant.tier,
                    status=f"{live_keys} active key{'s' if live_keys != 1 else ''}",
                    calls=Gauge(usage["api_calls_today"], limits.calls_per_day),
                    vectors=Gauge(usage["vectors_stored"], limits.max_vectors),
                    storage=Gauge(usage["storage_bytes"], limits.max_storage_bytes),
                )
            )
        if len(page) < 500:
            break
        after = page[-1].tenant_id
    return sorted(rows, key=lambda row: (-row.closeness, row.tenant_id))


def tenant_page(services: Services, tenant_id: str, now: float) -> dict[str, Any]:
    """Everything the page of one tenant shows.

    Raises:
        NotFoundError: No such tenant.
    """
    tenant = services.accounts.get_tenant(tenant_id)
    limits = services.accounts.limits_of(tenant)
    usage = services.usage.report(tenant.tenant_id, tenant.tier, limits)
    days = services.usage.daily(tenant.tenant_id, CHART_DAYS)
    labels = [day["day"][5:] for day in days]

    def chart(title: str, field: str, css_class: str, unit: Any = str) -> Any:
        bars = [Bar(label, day[field]) for label, day in zip(labels, days, strict=True)]
        return {"title": title, "svg": bar_chart(title, bars, css_class=css_class, unit=unit)}

    return {
        "tenant": tenant,
        "limits": limits,
        "usage": usage,
        "storage": human_bytes(usage["storage_bytes"]),
        "max_storage": human_bytes(limits.max_storage_bytes),
        "keys": [KeyOut.of(key, now) for key in services.accounts.list_keys(tenant.tenant_id)],
        "agents": services.usage.agents(tenant.tenant_id),
        "tiers": services.accounts.tier_names(),
        "days": days,
        "charts": [
            chart("API calls per day", "calls", "bar-calls"),
            chart("Throttled calls per day", "rejected", "bar-throttled"),
            chart("Vectors stored", "vectors", "bar-vectors"),
            chart("Storage", "storage_bytes", "bar-storage", human_bytes),
        ],
    }


def service_page(
    services: Services, settings: Settings, started_at: float, now: float
) -> dict[str, Any]:
    """Health per store and backend, uptime and traffic."""
    health = services.health.check(every_concern=True)
    stores = [
        {"kind": kind, "backend": redacted(settings.store_url(kind)), "status": health[kind]}
        for kind in get_args(StoreKind)
    ]
    uptime = max(now - started_at, 0.0)
    traffic = request_summary()
    return {
        "stores": stores,
        "embedder": health.get("embedder", "unknown"),
        "uptime": _duration(uptime),
        "traffic": traffic,
        "rate": traffic["requests"] / uptime if uptime > 0 else 0.0,
    }


def _duration(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes} min"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s"
