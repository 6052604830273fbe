"""Erasure of an agent or a whole tenant across every store (GDPR)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mnemora_server.errors import NotFoundError
from mnemora_server.stores.base import AccountStore, IdempotencyStore, StateStore, UsageStore


class ErasureService:
    """Removes every byte of an agent or a tenant.

    Each step is an idempotent delete, so a purge interrupted at any point completes when it
    is run again; for a tenant the keys are revoked first, so nothing new arrives meanwhile.
    """

    def __init__(
        self,
        *,
        accounts: AccountStore,
        usage: UsageStore,
        idempotency: IdempotencyStore,
        state: StateStore,
        clock: Callable[[], float],
    ) -> None:
        self._accounts = accounts
        self._usage = usage
        self._idempotency = idempotency
        self._state = state
        self._clock = clock

    def purge_agent(self, tenant_id: str, agent_id: str) -> dict[str, Any]:
        """Delete everything of one agent; answer with counts per memory type."""
        state = self._state.purge_agent(tenant_id, agent_id)
        self._idempotency.purge_agent(tenant_id, agent_id)
        deleted = {"state": state, "semantic": 0, "episodic": 0, "procedural": 0, "cold_objects": 0}
        return {
            "agent_id": agent_id,
            "deleted": deleted,
            "state_deleted": state,
            "semantic_deleted": 0,
            "episodes_deleted": 0,
            "procedural_deleted": 0,
        }

    def delete_tenant(self, tenant_id: str) -> dict[str, Any]:
        """Revoke every key of a tenant, erase all its data, then the tenant itself.

        Raises:
            NotFoundError: No such tenant.
        """
        if self._accounts.get_tenant(tenant_id) is None:
            raise NotFoundError(f"no tenant {tenant_id!r}")
        keys_revoked = self._accounts.revoke_tenant_keys(tenant_id, self._clock())
        state = self._state.purge_tenant(tenant_id)
        self._idempotency.purge_tenant(tenant_id)
        self._usage.purge_tenant(tenant_id)
        self._accounts.delete_tenant(tenant_id)
        return {
            "tenant_id": tenant_id,
            "keys_revoked": keys_revoked,
            "deleted": {
                "state": state,
                "semantic": 0,
                "episodic": 0,
                "procedural": 0,
                "cold_objects": 0,
            },
        }
