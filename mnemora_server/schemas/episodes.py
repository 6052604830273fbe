"""Bodies of the episodic-memory routes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mnemora_server.identifiers import AgentId, Identifier
from mnemora_server.schemas.common import PageQuery, RequestModel
from mnemora_server.stores.base import Episode
from mnemora_server.timestamps import iso_time, parse_time

EpisodeKind = Literal["conversation", "action", "observation", "tool_call"]


def _check_time(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_time(value)
        except ValueError as exc:
            raise ValueError("must be an ISO 8601 timestamp") from exc
    return value


class EpisodeWrite(RequestModel):
    """``POST /v1/memory/episodic``: append an episode (the server assigns id and ingest time)."""

    agent_id: AgentId
    session_id: Identifier
    type: EpisodeKind
    content: Any = Field(description="Text or any JSON value.")
    metadata: dict[str, Any] = Field(default_factory=dict)
    timestamp: str | None = Field(
        default=None, description="When it happened (ISO 8601), for imports; default now."
    )

    _time = field_validator("timestamp")(_check_time)


class EpisodeQuery(PageQuery):
    """Query of ``GET /v1/memory/episodic/{agent_id}`` (filters apply before the limit)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    session_id: Identifier | None = None
    type: EpisodeKind | None = None
    start: str | None = Field(default=None, alias="from")
    end: str | None = Field(default=None, alias="to")

    _times = field_validator("start", "end")(_check_time)


class SessionQuery(PageQuery):
    """Query of a session replay."""

    limit: int = Field(default=1000, ge=1, le=10_000)


class EpisodeSearch(RequestModel):
    """``POST /v1/memory/episodic/search``: keyword search over episode content."""

    query: Annotated[str, Field(min_length=1, max_length=10_000)]
    agent_id: AgentId | None = None
    limit: int = Field(default=10, ge=1, le=100)


class EpisodeSummarize(RequestModel):
    """``POST /v1/memory/episodic/{agent_id}/summarize``."""

    session_id: Identifier | None = None
    limit: int = Field(default=200, ge=1, le=2000)


class EpisodeOut(BaseModel):
    """An episode."""

    id: str
    agent_id: str
    session_id: str
    type: str
    content: Any
    metadata: dict[str, Any]
    timestamp: str
    ingested_at: str
    score: float | None = None

    @classmethod
    def of(cls, episode: Episode, score: float | None = None) -> EpisodeOut:
        """Build from a store record."""
        return cls(
            id=episode.id,
            agent_id=episode.agent_id,
            session_id=episode.session_id,
            type=episode.type,
            content=episode.content,
            metadata=episode.metadata,
            timestamp=iso_time(episode.timestamp) or "",
            ingested_at=iso_time(episode.ingested_at) or "",
            score=score,
        )


class EpisodeList(BaseModel):
    """A page of episodes."""

    agent_id: str
    episodes: list[EpisodeOut]
    count: int
    next_cursor: str | None


class EpisodeSearchOut(BaseModel):
    """Matching episodes, most relevant first."""

    results: list[EpisodeOut]
    count: int


class SummaryOut(BaseModel):
    """A model's summary of episodes."""

    agent_id: str
    session_id: str | None
    summary: str
    episodes: int
    model: str


class SessionDeleted(BaseModel):
    """How many episodes of a session were deleted (both tiers)."""

    agent_id: str
    session_id: str
    deleted: int


class SessionEpisode(BaseModel):
    """One episode of a session append (the session comes from the path)."""

    model_config = ConfigDict(extra="forbid")

    type: EpisodeKind
    content: Any = Field(description="Text or any JSON value.")
    metadata: dict[str, Any] = Field(default_factory=dict)
    timestamp: str | None = Field(default=None, description="ISO 8601 event time (imports).")

    _time = field_validator("timestamp")(_check_time)


class SessionAppend(RequestModel):
    """``POST /v1/memory/episodic/{agent_id}/sessions/{session_id}``: append episodes in order
    (each gets an event time a microsecond after the previous one, unless it has its own)."""

    episodes: list[SessionEpisode] = Field(min_length=1, max_length=500)


class SessionAppended(BaseModel):
    """The stored episodes, in request order."""

    episodes: list[EpisodeOut]
    count: int
