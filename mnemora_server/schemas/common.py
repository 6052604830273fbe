"""Models shared by every route: the envelope, errors and paging."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


def iso_time(epoch: float | None) -> str | None:
    """Format epoch seconds as ISO 8601 UTC with a ``Z`` suffix (``None`` stays ``None``)."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> float:
    """Parse an ISO 8601 timestamp (naive means UTC) into epoch seconds.

    Raises:
        ValueError: If ``value`` is not an ISO 8601 timestamp.
    """
    moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


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
