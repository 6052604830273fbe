"""Cross-memory routes: ``POST /v1/memory``, ``GET|DELETE /v1/memory/{agent_id}``,
``POST /v1/memory/search``."""

from __future__ import annotations

from typing import Any

import falcon

from mnemora_server.errors import ValidationError
from mnemora_server.http import operation, parse_model, read_body, read_json, send
from mnemora_server.resources.context import bind_agent, origin_of, tenant_of
from mnemora_server.resources.episodes import episode_input
from mnemora_server.schemas.episodes import EpisodeOut, EpisodeWrite
from mnemora_server.schemas.memory import (
    AgentOverview,
    PurgeOut,
    UnifiedHitOut,
    UnifiedSearch,
    UnifiedSearchOut,
    UnifiedWrite,
)
from mnemora_server.schemas.procedures import ProcedureOut, ProcedureWrite
from mnemora_server.schemas.semantic import MemoryOut, MemoryWrite
from mnemora_server.schemas.state import StateOut, StateWrite
from mnemora_server.services.erasure import ErasureService
from mnemora_server.services.semantic import MemoryInput
from mnemora_server.services.unified import UnifiedMemoryService

_TAGS = ("memory",)


def memory_type_of(body: dict[str, Any]) -> str:
    """Which memory type a unified write is for, from the shape of its body."""
    if "data" in body:
        return "state"
    if "definition" in body:
        return "procedural"
    if "type" in body and "session_id" in body:
        return "episodic"
    if "content" in body:
        return "semantic"
    raise ValidationError(
        "cannot tell the memory type: send 'data' (state), 'content' (semantic), "
        "'type' + 'session_id' + 'content' (episode) or 'definition' (procedural)"
    )


class MemoryWriteResource:
    """``POST /v1/memory``."""

    def __init__(self, unified: UnifiedMemoryService, max_body_bytes: int) -> None:
        self._unified = unified
        self._max_body = max_body_bytes

    @operation(
        summary="Write any memory type; the body's shape decides which",
        request=UnifiedWrite,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Route a write by payload shape."""
        tenant = tenant_of(req)
        body = read_json(req, self._max_body)
        if not isinstance(body, dict):
            raise ValidationError("request body must be a JSON object")
        kind = memory_type_of(body)
        out: dict[str, Any]
        if kind == "state":
            state = parse_model(StateWrite, body)
            bind_agent(req, state.agent_id)
            record = self._unified.state.store(
                tenant.tenant_id,
                state.agent_id,
                state.session_id,
                state.data,
                state.ttl_hours,
                ttl_given="ttl_hours" in state.model_fields_set,
            )
            out = StateOut.of(record).model_dump()
        elif kind == "procedural":
            proc = parse_model(ProcedureWrite, body)
            bind_agent(req, proc.agent_id)
            procedure = self._unified.procedural.add(
                tenant.tenant_id,
                proc.agent_id,
                proc.name,
                type=proc.type,
                definition=proc.definition,
                description=proc.description,
                active=proc.active,
            )
            out = ProcedureOut.of(procedure).model_dump()
        elif kind == "episodic":
            ep = parse_model(EpisodeWrite, body)
            bind_agent(req, ep.agent_id)
            (episode,) = self._unified.episodic.store(
                tenant.tenant_id, [episode_input(ep)], origin_of(req)
            )
            out = EpisodeOut.of(episode).model_dump()
        else:
            mem = parse_model(MemoryWrite, body)
            bind_agent(req, mem.agent_id)
            (written,) = self._unified.semantic.store(
                tenant.tenant_id,
                tenant.limits,
                mem.agent_id,
                mem.namespace,
                [
                    MemoryInput(
                        content=mem.content,
                        metadata=mem.metadata,
                        id=mem.id,
                        dedup=mem.dedup,
                        embedding=mem.embedding,
                    )
                ],
            )
            out = MemoryOut.of(written.record, deduplicated=written.deduplicated).model_dump()
        send(resp, {"memory_type": kind, **out}, 201)


class MemorySearchResource:
    """``POST /v1/memory/search``."""

    def __init__(self, unified: UnifiedMemoryService, max_body_bytes: int) -> None:
        self._unified = unified
        self._max_body = max_body_bytes

    @operation(
        summary="Search semantic and episodic memory in one fused ranking",
        request=UnifiedSearch,
        response=UnifiedSearchOut,
        writes=False,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Search every memory type."""
        tenant = tenant_of(req)
        body = read_body(req, UnifiedSearch, self._max_body)
        hits = self._unified.search(
            tenant.tenant_id,
            body.query,
            agent_id=body.agent_id,
            top_k=body.top_k,
            metadata_filter=body.metadata_filter,
        )
        results = [UnifiedHitOut.of(hit) for hit in hits]
        send(resp, UnifiedSearchOut(results=results, count=len(results)))


class AgentMemoryResource:
    """``GET|DELETE /v1/memory/{agent_id}``."""

    def __init__(self, unified: UnifiedMemoryService, erasure: ErasureService) -> None:
        self._unified = unified
        self._erasure = erasure

    @operation(
        summary="A view of every memory type of an agent (most recent first)",
        response=AgentOverview,
        tags=_TAGS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """Show an agent's memory."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        view = self._unified.overview(tenant.tenant_id, agent_id, limit=50)
        send(
            resp,
            AgentOverview(
                agent_id=agent_id,
                state=[StateOut.of(s) for s in view["state"]],
                semantic=[MemoryOut.of(m) for m in view["semantic"]],
                episodic=[EpisodeOut.of(e) for e in view["episodic"]],
                procedural=[ProcedureOut.of(p) for p in view["procedural"]],
            ),
        )

    @operation(
        summary="Purge an agent: remove all of its memory in every store (idempotent)",
        response=PurgeOut,
        writes=True,
        tags=_TAGS,
    )
    def on_delete(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """Purge an agent."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        send(resp, self._erasure.purge_agent(tenant.tenant_id, agent_id))
