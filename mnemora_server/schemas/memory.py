"""Bodies of the cross-memory routes (purge)."""

from __future__ import annotations

from pydantic import BaseModel


class PurgeOut(BaseModel):
    """What a purge removed (0.1.x ``deleted`` map plus flat counts)."""

    agent_id: str
    deleted: dict[str, int]
    state_deleted: int
    semantic_deleted: int
    episodes_deleted: int
    procedural_deleted: int
