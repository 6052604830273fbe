"""Procedural-memory routes: ``/v1/memory/procedural``."""

from __future__ import annotations

import falcon

from mnemora_server.http import operation, read_body, read_query, send
from mnemora_server.identifiers import check_identifier
from mnemora_server.resources.context import bind_agent, tenant_of
from mnemora_server.schemas.procedures import (
    ProcedureDeleted,
    ProcedureList,
    ProcedureListQuery,
    ProcedureOut,
    ProcedureQuery,
    ProcedureWrite,
)
from mnemora_server.services.procedures import ProceduralMemoryService

_TAGS = ("procedural memory",)


class ProcedureCollectionResource:
    """``POST /v1/memory/procedural``."""

    def __init__(self, service: ProceduralMemoryService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Add a version of a tool, schema, prompt or rule",
        request=ProcedureWrite,
        response=ProcedureOut,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Add a version."""
        tenant = tenant_of(req)
        body = read_body(req, ProcedureWrite, self._max_body)
        bind_agent(req, body.agent_id)
        procedure = self._service.add(
            tenant.tenant_id,
            body.agent_id,
            body.name,
            type=body.type,
            definition=body.definition,
            description=body.description,
            active=body.active,
        )
        send(resp, ProcedureOut.of(procedure), 201)


class AgentProceduresResource:
    """``GET /v1/memory/procedural/{agent_id}``."""

    def __init__(self, service: ProceduralMemoryService) -> None:
        self._service = service

    @operation(
        summary="The latest active version of each of an agent's definitions",
        query=ProcedureListQuery,
        response=ProcedureList,
        tags=_TAGS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """List definitions."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        query = read_query(req, ProcedureListQuery)
        page = self._service.list_latest(
            tenant.tenant_id, agent_id, limit=query.limit, cursor=query.cursor
        )
        items = [ProcedureOut.of(p) for p in page.procedures]
        send(
            resp,
            ProcedureList(
                agent_id=agent_id, procedures=items, count=len(items), next_cursor=page.next_cursor
            ),
        )


class ProcedureResource:
    """``GET|DELETE /v1/memory/procedural/{agent_id}/{name}``."""

    def __init__(self, service: ProceduralMemoryService) -> None:
        self._service = service

    @operation(
        summary="A definition: the latest active version, or ?version=N",
        query=ProcedureQuery,
        response=ProcedureOut,
        tags=_TAGS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, agent_id: str, name: str) -> None:
        """Read a definition."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        check_identifier(name, "name")
        query = read_query(req, ProcedureQuery)
        send(
            resp,
            ProcedureOut.of(self._service.get(tenant.tenant_id, agent_id, name, query.version)),
        )

    @operation(
        summary="Delete every version of a definition",
        response=ProcedureDeleted,
        writes=True,
        tags=_TAGS,
    )
    def on_delete(
        self, req: falcon.Request, resp: falcon.Response, agent_id: str, name: str
    ) -> None:
        """Delete a definition."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        check_identifier(name, "name")
        removed = self._service.delete(tenant.tenant_id, agent_id, name)
        send(resp, ProcedureDeleted(agent_id=agent_id, name=name, versions_deleted=removed))


class ProcedureVersionsResource:
    """``GET /v1/memory/procedural/{agent_id}/{name}/versions``."""

    def __init__(self, service: ProceduralMemoryService) -> None:
        self._service = service

    @operation(
        summary="Every version of a definition, oldest first", response=ProcedureList, tags=_TAGS
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, agent_id: str, name: str) -> None:
        """List versions."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        check_identifier(name, "name")
        items = [
            ProcedureOut.of(p) for p in self._service.versions(tenant.tenant_id, agent_id, name)
        ]
        send(resp, ProcedureList(agent_id=agent_id, procedures=items, count=len(items)))
