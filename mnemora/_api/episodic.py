"""Episodic memory: immutable events per session, across the hot and cold tiers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mnemora._api.descriptors import Page, api_method, api_pages
from mnemora._api.paths import every_item, put_optional, segment
from mnemora._core import Call, Plan
from mnemora.models import EpisodeResponse


class EpisodicMemoryApi:
    """Episodic-memory methods of both clients."""

    @api_method
    def store_episode(
        self,
        agent_id: str,
        session_id: str,
        type: str,
        content: Any,
        metadata: dict[str, Any] | None = None,
        *,
        timestamp: str | None = None,
    ) -> Plan[EpisodeResponse]:
        """Append an episode (the server assigns its id and ingest time).

        Args:
            agent_id: The agent.
            session_id: The session.
            type: ``conversation``, ``action``, ``observation`` or ``tool_call``.
            content: Text or any JSON value.
            metadata: JSON metadata.
            timestamp: ISO 8601 event time, for imports (default: now).
        """
        body: dict[str, Any] = {
            "agent_id": agent_id,
            "session_id": session_id,
            "type": type,
            "content": content,
        }
        put_optional(body, metadata=metadata, timestamp=timestamp)
        return EpisodeResponse.model_validate(
            (yield Call("POST", "/v1/memory/episodic", json=body))
        )

    @api_method
    def get_episodes(
        self,
        agent_id: str,
        session_id: str | None = None,
        type: str | None = None,
        from_ts: str | None = None,
        to_ts: str | None = None,
        limit: int | None = None,
    ) -> Plan[list[EpisodeResponse]]:
        """The most recent episodes of an agent (newest first), filtered before the limit.

        One page of at most ``limit`` (default 100); :meth:`iter_episodes` walks them all.
        """
        result = yield Call(
            "GET",
            f"/v1/memory/episodic/{segment(agent_id)}",
            params={
                "session_id": session_id,
                "type": type,
                "from": from_ts,
                "to": to_ts,
                "limit": limit,
            },
        )
        return [EpisodeResponse.model_validate(e) for e in result["episodes"]]

    @api_pages
    def iter_episodes(
        self,
        agent_id: str,
        session_id: str | None = None,
        type: str | None = None,
        from_ts: str | None = None,
        to_ts: str | None = None,
        *,
        page_size: int = 500,
        cursor: str | None = None,
    ) -> Plan[Page[EpisodeResponse]]:
        """Every matching episode of an agent, newest first, across the hot and cold tiers."""
        result = yield Call(
            "GET",
            f"/v1/memory/episodic/{segment(agent_id)}",
            params={
                "session_id": session_id,
                "type": type,
                "from": from_ts,
                "to": to_ts,
                "limit": page_size,
                "cursor": cursor,
            },
        )
        items = [EpisodeResponse.model_validate(e) for e in result["episodes"]]
        return items, result.get("next_cursor")

    @api_method
    def get_session_episodes(self, agent_id: str, session_id: str) -> Plan[list[EpisodeResponse]]:
        """Replay a whole session in chronological order (follows cursors to the end)."""
        path = f"/v1/memory/episodic/{segment(agent_id)}/sessions/{segment(session_id)}"
        items = yield from every_item(path, "episodes", 5000)
        return [EpisodeResponse.model_validate(item) for item in items]

    @api_method
    def append_episodes(
        self, agent_id: str, session_id: str, episodes: Sequence[dict[str, Any]]
    ) -> Plan[list[EpisodeResponse]]:
        """Append up to 500 episodes to a session in one request, in order.

        Args:
            agent_id: The agent.
            session_id: The session.
            episodes: Dicts with ``type``, ``content`` and optionally ``metadata`` and
                ``timestamp``; each gets an event time just after the previous one.
        """
        path = f"/v1/memory/episodic/{segment(agent_id)}/sessions/{segment(session_id)}"
        result = yield Call("POST", path, json={"episodes": list(episodes)})
        return [EpisodeResponse.model_validate(e) for e in result["episodes"]]

    @api_method
    def delete_session_episodes(self, agent_id: str, session_id: str) -> Plan[int]:
        """Delete one session's episodes in both tiers; returns how many were deleted."""
        path = f"/v1/memory/episodic/{segment(agent_id)}/sessions/{segment(session_id)}"
        result = yield Call("DELETE", path)
        return int(result["deleted"])

    @api_method
    def search_episodes(
        self, query: str, agent_id: str | None = None, limit: int = 10
    ) -> Plan[list[EpisodeResponse]]:
        """Episodes whose content matches the words of ``query`` (both tiers)."""
        body: dict[str, Any] = {"query": query, "limit": limit}
        put_optional(body, agent_id=agent_id)
        result = yield Call("POST", "/v1/memory/episodic/search", json=body, write=False)
        return [EpisodeResponse.model_validate(e) for e in result["results"]]
