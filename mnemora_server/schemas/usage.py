"""Bodies of the usage and health routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Usage(BaseModel):
    """A tenant's usage (``GET /v1/usage``; 0.1.x fields kept)."""

    tenant_id: str
    tier: str
    billing_period: str
    api_calls_today: int
    api_calls_month: int
    rate_limited_month: int
    embeddings_generated_today: int
    embeddings_generated_month: int
    vectors_stored: int
    storage_bytes: int
    storage: dict[str, int]
    agents_count: int
    sessions_count: int
    limits: dict[str, Any]


class Health(BaseModel):
    """``GET /v1/health``."""

    status: Literal["ok", "degraded"]
    version: str
    stores: dict[str, str] = Field(description="Each store, and the embedder: ok or why not.")


class AgentMemoryOut(BaseModel):
    """What one agent holds in each memory type."""

    agent_id: str
    state: int = Field(description="Live working-memory documents (sessions).")
    semantic: int = Field(description="Live semantic memories.")
    episodic: int = Field(description="Episodes, hot and cold.")
    procedural: int = Field(description="Procedures (by name).")
    checkpoints: int = Field(description="LangGraph checkpoints.")
    items: int = Field(description="Store items.")


class TenantAgents(BaseModel):
    """A tenant's agents, by agent id."""

    tenant_id: str
    agents: list[AgentMemoryOut]
    count: int


class DailyUsageQuery(BaseModel):
    """Query of the daily usage routes."""

    model_config = ConfigDict(extra="ignore")

    days: int = Field(default=30, ge=1, le=400, description="How many days back, today included.")


class UsageDayOut(BaseModel):
    """One UTC day of a tenant's usage: counters summed over the day; gauges (``vectors``,
    ``storage_bytes``) as last measured that day, ``null`` when not measured."""

    day: str
    calls: int
    accepted: int
    rejected: int = Field(description="Calls refused by a limit (rate-limited).")
    embeddings: int
    vectors: int | None
    storage_bytes: int | None


class DailyUsage(BaseModel):
    """Daily usage, oldest first, every day present."""

    tenant_id: str
    days: list[UsageDayOut]
