"""Models shared by every route: the envelope, errors and paging."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields are refused, except ``tenant_id``.

    The tenant always comes from the API key; a ``tenant_id`` in a body is dropped before
    validation so that it can never influence anything.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _drop_tenant_id(cls, value: Any) -> Any:
        if isinstance(value, dict) and "tenant_id" in value:
            return {k: v for k, v in value.items() if k != "tenant_id"}
        return value


class Meta(BaseModel):
    """Metadata on every answer."""

    request_id: str
    latency_ms: float


class ErrorBody(BaseModel):
    """What went wrong."""

    code: str = Field(examples=["VERSION_CONFLICT"])
    message: str
    details: Any = None


class ErrorEnvelope(BaseModel):
    """The body of every error answer."""

    error: ErrorBody
    meta: Meta


class PageQuery(BaseModel):
    """Query parameters of every list."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(default=100, ge=1, le=1000)
    cursor: str | None = Field(default=None, max_length=2048)
