"""Bodies of the usage and health routes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


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
