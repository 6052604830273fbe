"""DynamoDB partition keys: built here and nowhere else.

Identifiers cannot contain ``#`` or ``/`` (see :mod:`mnemora_server.identifiers`), so
``tenant#agent`` names exactly one agent of exactly one tenant, and keys that start with ``/``
(accounts, term indexes, manifests) never meet an agent's partition.
"""

from __future__ import annotations

from mnemora_server.identifiers import check_identifier


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
