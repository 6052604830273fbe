"""Episodic-memory routes: ``/v1/memory/episodic``."""

from __future__ import annotations

import falcon

from mnemora_server.http import operation, read_body, read_query, send
from mnemora_server.identifiers import check_identifier
from mnemora_server.resources.context import bind_agent, origin_of, tenant_of
from mnemora_server.schemas.episodes import (
    EpisodeList,
    EpisodeOut,
    EpisodeQuery,
    EpisodeSearch,
    EpisodeSearchOut,
    EpisodeSummarize,
    EpisodeWrite,
    SessionAppend,
    SessionAppended,
    SessionDeleted,
    SessionQuery,
    SummaryOut,
)
from mnemora_server.services.episodes import EpisodeFilter, EpisodeInput, EpisodicMemoryService
from mnemora_server.services.summaries import SummaryService
from mnemora_server.timestamps import parse_time

_TAGS = ("episodic memory",)


class EpisodeCollectionResource:
    """``POST /v1/memory/episodic``."""

    def __init__(self, service: EpisodicMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Append an episode",
        request=EpisodeWrite,
        response=EpisodeOut,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store an episode."""
        tenant = tenant_of(req)
        body = read_body(req, EpisodeWrite, self._max_body)
        bind_agent(req, body.agent_id)
        (episode,) = self._service.store(tenant.tenant_id, [episode_input(body)], origin_of(req))
        send(resp, EpisodeOut.of(episode), 201)


def episode_input(body: EpisodeWrite) -> EpisodeInput:
    """What the service needs of one episode a client sent."""
    return EpisodeInput(
        agent_id=body.agent_id,
        session_id=body.session_id,
        type=body.type,
        content=body.content,
        metadata=body.metadata,
        timestamp=None if body.timestamp is None else parse_time(body.timestamp),
    )


class AgentEpisodesResource:
    """``GET /v1/memory/episodic/{agent_id}``."""

    def __init__(self, service: EpisodicMemoryService) -> None:
        self._service = service

    @operation(
        summary="List an agent's episodes, newest first, across hot and cold tiers",
        query=EpisodeQuery,
        response=EpisodeList,
        tags=_TAGS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """List episodes."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        query = read_query(req, EpisodeQuery)
        page = self._service.list_episodes(
            tenant.tenant_id,
            EpisodeFilter(
                agent_id=agent_id,
                session_id=query.session_id,
                type=query.type,
                start=None if query.start is None else parse_time(query.start),
                end=None if query.end is None else parse_time(query.end),
            ),
            limit=query.limit,
            cursor=query.cursor,
        )
        items = [EpisodeOut.of(ep) for ep in page.episodes]
        send(
            resp,
            EpisodeList(
                agent_id=agent_id, episodes=items, count=len(items), next_cursor=page.next_cursor
            ),
        )


class SessionEpisodesResource:
    """``GET|POST|DELETE /v1/memory/episodic/{agent_id}/sessions/{session_id}``."""

    def __init__(self, service: EpisodicMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Append episodes to a session, in order",
        request=SessionAppend,
        response=SessionAppended,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(
        self, req: falcon.Request, resp: falcon.Response, agent_id: str, session_id: str
    ) -> None:
        """Append episodes."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        check_identifier(session_id, "session_id")
        body = read_body(req, SessionAppend, self._max_body)
        inputs = [
            EpisodeInput(
                agent_id=agent_id,
                session_id=session_id,
                type=item.type,
                content=item.content,
                metadata=item.metadata,
                timestamp=None if item.timestamp is None else parse_time(item.timestamp),
            )
            for item in body.episodes
        ]
        stored = self._service.store(tenant.tenant_id, inputs, origin_of(req))
        items = [EpisodeOut.of(ep) for ep in stored]
        send(resp, SessionAppended(episodes=items, count=len(items)), 201)

    @operation(
        summary="Replay a session chronologically",
        query=SessionQuery,
        response=EpisodeList,
        tags=_TAGS,
    )
    def on_get(
        self, req: falcon.Request, resp: falcon.Response, agent_id: str, session_id: str
    ) -> None:
        """Replay a session."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        check_identifier(session_id, "session_id")
        query = read_query(req, SessionQuery)
        page = self._service.session(
            tenant.tenant_id, agent_id, session_id, limit=query.limit, cursor=query.cursor
        )
        items = [EpisodeOut.of(ep) for ep in page.episodes]
        send(
            resp,
            EpisodeList(
                agent_id=agent_id, episodes=items, count=len(items), next_cursor=page.next_cursor
            ),
        )

    @operation(
        summary="Delete a session's episodes in both tiers (a chat history's clear)",
        response=SessionDeleted,
        writes=True,
        tags=_TAGS,
    )
    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, agent_id: str, session_id: str
    ) -> None:
        """Delete a session."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        check_identifier(session_id, "session_id")
        deleted = self._service.delete_session(tenant.tenant_id, agent_id, session_id)
        send(resp, SessionDeleted(agent_id=agent_id, session_id=session_id, deleted=deleted))


class EpisodeSearchResource:
    """``POST /v1/memory/episodic/search``."""

    def __init__(self, service: EpisodicMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Keyword search over episode content (both tiers)",
        request=EpisodeSearch,
        response=EpisodeSearchOut,
        writes=False,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Search episodes."""
        tenant = tenant_of(req)
        body = read_body(req, EpisodeSearch, self._max_body)
        hits = self._service.search(
            tenant.tenant_id, body.query, agent_id=body.agent_id, limit=body.limit
        )
        results = [EpisodeOut.of(ep, score=round(score, 6)) for ep, score in hits]
        send(resp, EpisodeSearchOut(results=results, count=len(results)))


class SummarizeResource:
    """``POST /v1/memory/episodic/{agent_id}/summarize``."""

    def __init__(self, summaries: SummaryService, max_body_bytes: int) -> None:
        self._summaries = summaries
        self._max_body = max_body_bytes

    @operation(
        summary="Summarise a session or the latest episodes with the configured LLM "
        "(501 without one)",
        request=EpisodeSummarize,
        response=SummaryOut,
        writes=False,
        tags=_TAGS,
        errors=((501, "No LLM is configured on this server (NOT_CONFIGURED)"),),
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """Summarise episodes."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        body = read_body(req, EpisodeSummarize, self._max_body)
        summary = self._summaries.summarize(
            tenant.tenant_id, agent_id, session_id=body.session_id, limit=body.limit
        )
        send(
            resp,
            SummaryOut(
                agent_id=agent_id,
                session_id=body.session_id,
                summary=summary.text,
                episodes=summary.episodes,
                model=summary.model,
            ),
        )
