"""Bodies of the procedural-memory routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mnemora_server.identifiers import AgentId, Identifier
from mnemora_server.schemas.common import PageQuery, RequestModel
from mnemora_server.stores.base import Procedure
from mnemora_server.timestamps import iso_time


class ProcedureWrite(RequestModel):
    """``POST /v1/memory/procedural``: each call adds a version."""

    agent_id: AgentId
    name: Identifier
    type: Literal["tool", "schema", "prompt", "rule"]
    definition: Any = Field(description="The JSON body (an object for tools and schemas).")
    description: Annotated[str, Field(max_length=4000)] | None = None
    active: bool = Field(default=True, description="Reads without a version see active ones.")


class ProcedureQuery(BaseModel):
    """Query of ``GET /v1/memory/procedural/{agent_id}/{name}``."""

    model_config = ConfigDict(extra="ignore")

    version: int | None = Field(default=None, ge=1)


class ProcedureListQuery(PageQuery):
    """Query of ``GET /v1/memory/procedural/{agent_id}``."""


class ProcedureOut(BaseModel):
    """One version of a definition."""

    agent_id: str
    name: str
    version: int
    type: str
    definition: Any
    description: str | None
    active: bool
    created_at: str

    @classmethod
    def of(cls, procedure: Procedure) -> ProcedureOut:
        """Build from a store record."""
        return cls(
            agent_id=procedure.agent_id,
            name=procedure.name,
            version=procedure.version,
            type=procedure.type,
            definition=procedure.definition,
            description=procedure.description,
            active=procedure.active,
            created_at=iso_time(procedure.created_at) or "",
        )


class ProcedureList(BaseModel):
    """Definitions (latest of each name, or every version of one)."""

    agent_id: str
    procedures: list[ProcedureOut]
    count: int
    next_cursor: str | None = None


class ProcedureDeleted(BaseModel):
    """What deleting a name removed."""

    agent_id: str
    name: str
    versions_deleted: int
