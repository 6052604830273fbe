"""The base of every response model: unknown fields are accepted, so that a newer server
never breaks an older SDK."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
