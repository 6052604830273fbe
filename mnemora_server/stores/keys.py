"""Object keys of the cold tier: built here and nowhere else.

Identifiers cannot contain ``/`` (see :mod:`mnemora_server.identifiers`), so the prefix
``tenant/agent/`` names exactly one agent of exactly one tenant.
"""

from __future__ import annotations

from mnemora_server.identifiers import check_identifier


def cold_prefix(tenant_id: str, agent_id: str | None = None) -> str:
    """The prefix holding every cold object of a tenant, or of one of its agents."""
    check_identifier(tenant_id, "tenant_id")
    if agent_id is None:
        return f"{tenant_id}/"
    check_identifier(agent_id, "agent_id")
    return f"{tenant_id}/{agent_id}/"


def segment_key(tenant_id: str, agent_id: str, day: str, segment_id: str) -> str:
    """The key of one episode segment: ``tenant/agent/YYYY-MM-DD/segment.ndjson.gz``."""
    check_identifier(segment_id, "segment_id")
    return f"{cold_prefix(tenant_id, agent_id)}{day}/{segment_id}.ndjson.gz"


def dynamo_agent_pk(tenant_id: str, agent_id: str) -> str:
    """The DynamoDB partition key of everything of one agent: ``tenant#agent``."""
    check_identifier(tenant_id, "tenant_id")
    check_identifier(agent_id, "agent_id")
    return f"{tenant_id}#{agent_id}"


def dynamo_tenant_pk(tenant_id: str) -> str:
    """The DynamoDB partition key of a tenant's own items (its agent registry).

    ``/`` cannot occur in identifiers, so ``tenant#/`` never equals any ``tenant#agent``.
    """
    check_identifier(tenant_id, "tenant_id")
    return f"{tenant_id}#/"


def dynamo_session_key(tenant_id: str, agent_id: str, session_id: str) -> str:
    """The session-index partition key of one session: ``tenant#agent#session``."""
    check_identifier(session_id, "session_id")
    return f"{dynamo_agent_pk(tenant_id, agent_id)}#{session_id}"


def dynamo_term_pk(tenant_id: str, agent_id: str, term: str) -> str:
    """The partition of one search term of one agent (``/`` keeps it apart from agents)."""
    return f"/terms/{dynamo_agent_pk(tenant_id, agent_id)}/{term}"


def dynamo_termset_pk(tenant_id: str, agent_id: str) -> str:
    """The partition listing which terms an agent's episodes used (so purge needs no Scan)."""
    return f"/termset/{dynamo_agent_pk(tenant_id, agent_id)}"


def dynamo_manifest_pk(tenant_id: str) -> str:
    """The partition of a tenant's cold-segment manifest."""
    check_identifier(tenant_id, "tenant_id")
    return f"/segments/{tenant_id}"
