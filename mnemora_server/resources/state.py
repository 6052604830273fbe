"""Working-memory routes: ``/v1/state``."""

from __future__ import annotations

import falcon

from mnemora_server.http import operation, read_body, read_query, send
from mnemora_server.identifiers import check_identifier
from mnemora_server.resources.context import bind_agent, tenant_of
from mnemora_server.schemas.state import (
    SessionsOut,
    SessionsQuery,
    StateOut,
    StatePatch,
    StateQuery,
    StateUpdate,
    StateWrite,
)
from mnemora_server.services.state import StateService

_TAGS = ("working memory",)


class StateCollectionResource:
    """``POST /v1/state``."""

    def __init__(self, service: StateService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Write a session's state unconditionally (the version grows by one)",
        request=StateWrite,
        response=StateOut,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store state."""
        tenant = tenant_of(req)
        body = read_body(req, StateWrite, self._max_body)
        bind_agent(req, body.agent_id)
        record = self._service.store(
            tenant.tenant_id,
            body.agent_id,
            body.session_id,
            body.data,
            body.ttl_hours,
            ttl_given="ttl_hours" in body.model_fields_set,
        )
        send(resp, StateOut.of(record), 201)


class AgentStateResource:
    """``GET|PUT|PATCH /v1/state/{agent_id}``."""

    def __init__(self, service: StateService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(summary="Read a session's state", query=StateQuery, response=StateOut, tags=_TAGS)
    def on_get(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """Get state."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        query = read_query(req, StateQuery)
        send(resp, StateOut.of(self._service.get(tenant.tenant_id, agent_id, query.session_id)))

    @operation(
        summary="Replace a session's state if its version matches (409 otherwise)",
        request=StateUpdate,
        response=StateOut,
        writes=True,
        tags=_TAGS,
    )
    def on_put(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """Update state with optimistic locking."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        body = read_body(req, StateUpdate, self._max_body)
        record = self._service.update(
            tenant.tenant_id,
            agent_id,
            body.session_id,
            body.data,
            body.version,
            body.ttl_hours,
            ttl_given="ttl_hours" in body.model_fields_set,
        )
        send(resp, StateOut.of(record))

    @operation(
        summary="Apply a JSON merge patch (RFC 7396) to a session's state",
        request=StatePatch,
        response=StateOut,
        writes=True,
        tags=_TAGS,
    )
    def on_patch(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """Patch state."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        body = read_body(req, StatePatch, self._max_body)
        record = self._service.patch(
            tenant.tenant_id,
            agent_id,
            body.session_id,
            body.patch,
            body.version,
            body.ttl_hours,
            ttl_given="ttl_hours" in body.model_fields_set,
        )
        send(resp, StateOut.of(record))


class SessionsResource:
    """``GET /v1/state/{agent_id}/sessions``.

    The literal segment ``sessions`` shadows a session of that name in
    ``DELETE /v1/state/{agent_id}/{session_id}``, so ``on_delete`` here deletes it.
    """

    def __init__(self, service: StateService) -> None:
        self._service = service

    @operation(
        summary="List an agent's live sessions (cursor-paged)",
        query=SessionsQuery,
        response=SessionsOut,
        tags=_TAGS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """List sessions."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        query = read_query(req, SessionsQuery)
        page = self._service.list_sessions(
            tenant.tenant_id, agent_id, limit=query.limit, cursor=query.cursor
        )
        send(
            resp,
            SessionsOut(
                agent_id=agent_id,
                sessions=page.sessions,
                count=len(page.sessions),
                next_cursor=page.next_cursor,
            ),
        )

    @operation(summary="Delete the session named 'sessions'", status=204, writes=True, tags=_TAGS)
    def on_delete(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """Delete the session literally named ``sessions``."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        self._service.delete(tenant.tenant_id, agent_id, "sessions")
        resp.status = falcon.HTTP_204


class SessionStateResource:
    """``DELETE /v1/state/{agent_id}/{session_id}``."""

    def __init__(self, service: StateService) -> None:
        self._service = service

    @operation(summary="Delete a session's state", status=204, writes=True, tags=_TAGS)
    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, agent_id: str, session_id: str
    ) -> None:
        """Delete state."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        check_identifier(session_id, "session_id")
        self._service.delete(tenant.tenant_id, agent_id, session_id)
        resp.status = falcon.HTTP_204
