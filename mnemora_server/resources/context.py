"""What a responder may know of the caller: the tenant from the key, and path identifiers."""

from __future__ import annotations

import falcon

from mnemora_server.auth import TenantContext
from mnemora_server.errors import UnauthorizedError
from mnemora_server.identifiers import check_identifier
from mnemora_server.services.retries import RequestOrigin


def tenant_of(req: falcon.Request) -> TenantContext:
    """The authenticated tenant (set by the auth middleware from the API key alone)."""
    tenant = req.context.get("tenant")
    if not isinstance(tenant, TenantContext):
        raise UnauthorizedError("not authenticated")
    return tenant


def bind_agent(req: falcon.Request, agent_id: str) -> str:
    """Validate an agent id and record it on the request (for idempotency records and purge)."""
    check_identifier(agent_id, "agent_id", agent=True)
    req.context.agent_id = agent_id
    return agent_id


def origin_of(req: falcon.Request) -> RequestOrigin | None:
    """The request across its retries, when it carries an ``Idempotency-Key``."""
    origin = req.context.get("request_origin")
    return origin if isinstance(origin, RequestOrigin) else None
