"""Bodies of the working-memory routes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from mnemora_server.identifiers import AgentId, Identifier
from mnemora_server.schemas.common import PageQuery, RequestModel
from mnemora_server.stores.base import StateRecord
from mnemora_server.timestamps import iso_time

TtlHours = Annotated[float, Field(gt=0, le=24 * 365 * 10)]


class StateWrite(RequestModel):
    """``POST /v1/state``: write a session's state unconditionally."""

    agent_id: AgentId
    session_id: Identifier = "default"
    data: dict[str, Any]
    ttl_hours: TtlHours | None = Field(
        default=None, description="Hours until expiry; null clears it; absent keeps it."
    )


class StateUpdate(RequestModel):
    """``PUT /v1/state/{agent_id}``: replace a session's state if its version matches;
    version 0 creates it only if the session has no live state."""

    session_id: Identifier = "default"
    data: dict[str, Any]
    version: StrictInt = Field(
        ge=0, description="The version replaced; 0: create only if there is no live state."
    )
    ttl_hours: TtlHours | None = None


class StatePatch(RequestModel):
    """``PATCH /v1/state/{agent_id}``: apply a JSON merge patch (RFC 7396)."""

    session_id: Identifier = "default"
    patch: dict[str, Any]
    version: StrictInt | None = Field(
        default=None, ge=1, description="Apply only to this version; absent: to the current."
    )
    ttl_hours: TtlHours | None = None


class StateQuery(BaseModel):
    """Query of ``GET /v1/state/{agent_id}``."""

    model_config = ConfigDict(extra="ignore")

    session_id: Identifier = "default"


class SessionsQuery(PageQuery):
    """Query of ``GET /v1/state/{agent_id}/sessions``."""


class StateOut(BaseModel):
    """A session's state."""

    agent_id: str
    session_id: str
    data: dict[str, Any]
    version: int
    created_at: str
    updated_at: str
    expires_at: str | None

    @classmethod
    def of(cls, record: StateRecord) -> StateOut:
        """Build from a store record."""
        return cls(
            agent_id=record.agent_id,
            session_id=record.session_id,
            data=record.data,
            version=record.version,
            created_at=iso_time(record.created_at) or "",
            updated_at=iso_time(record.updated_at) or "",
            expires_at=iso_time(record.expires_at),
        )


class SessionsOut(BaseModel):
    """A page of session ids."""

    agent_id: str
    sessions: list[str]
    count: int
    next_cursor: str | None
