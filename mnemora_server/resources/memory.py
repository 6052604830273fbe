"""Cross-memory routes of an agent: ``DELETE /v1/memory/{agent_id}`` (purge)."""

from __future__ import annotations

import falcon

from mnemora_server.http import operation, send
from mnemora_server.resources.context import bind_agent, tenant_of
from mnemora_server.schemas.memory import PurgeOut
from mnemora_server.services.erasure import ErasureService


class AgentMemoryResource:
    """``DELETE /v1/memory/{agent_id}``: erase every byte of an agent."""

    def __init__(self, erasure: ErasureService) -> None:
        self._erasure = erasure

    @operation(
        summary="Purge an agent: remove all of its memory in every store (idempotent)",
        response=PurgeOut,
        writes=True,
        tags=("memory",),
    )
    def on_delete(self, req: falcon.Request, resp: falcon.Response, agent_id: str) -> None:
        """Purge an agent."""
        tenant = tenant_of(req)
        bind_agent(req, agent_id)
        send(resp, self._erasure.purge_agent(tenant.tenant_id, agent_id))
