"""Erasure of an agent or a whole tenant across every store (GDPR)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from mnemora_server.errors import NotFoundError
from mnemora_server.failpoints import failpoint
from mnemora_server.stores.base import AccountStore, IdempotencyStore, UsageStore

#: The memory types a purge reports, in order, with their 0.1.x flat count names.
MEMORY_TYPES = (
    ("state", "state_deleted"),
    ("semantic", "semantic_deleted"),
    ("episodic", "episodes_deleted"),
    ("procedural", "procedural_deleted"),
    ("checkpoints", "checkpoints_deleted"),
    ("items", "items_deleted"),
)


class ErasableStore(Protocol):
    """A store that can erase an agent or a tenant completely."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every byte of the agent; return records removed."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every byte of the tenant; return records removed."""


class Eraser(Protocol):
    """Something that erases an agent or a tenant and counts what it removed, by kind."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> dict[str, int]:
        """Remove every byte of the agent."""

    def purge_tenant(self, tenant_id: str) -> dict[str, int]:
        """Remove every byte of the tenant."""


class StoreEraser:
    """An :class:`Eraser` over one store, counting under one memory type."""

    def __init__(self, kind: str, store: ErasableStore) -> None:
        self._kind = kind
        self._store = store

    def purge_agent(self, tenant_id: str, agent_id: str) -> dict[str, int]:
        """Remove every byte of the agent."""
        return {self._kind: self._store.purge_agent(tenant_id, agent_id)}

    def purge_tenant(self, tenant_id: str) -> dict[str, int]:
        """Remove every byte of the tenant."""
        return {self._kind: self._store.purge_tenant(tenant_id)}


class ErasureService:
    """Removes every byte of an agent or a tenant.

    Each step is an idempotent delete, so a purge interrupted at any point completes when it
    is run again; for a tenant the keys are revoked first, so nothing new arrives meanwhile.

    Args:
        accounts: Tenants and keys.
        usage: Usage counters (erased with the tenant).
        idempotency: Remembered answers (erased with the agent or tenant).
        erasers: Whatever holds memory: each store or service of each memory type.
        clock: Time source.
    """

    def __init__(
        self,
        *,
        accounts: AccountStore,
        usage: UsageStore,
        idempotency: IdempotencyStore,
        erasers: list[Eraser],
        clock: Callable[[], float],
    ) -> None:
        self._accounts = accounts
        self._usage = usage
        self._idempotency = idempotency
        self._erasers = erasers
        self._clock = clock

    def _counts(self, purge: Callable[[Eraser], dict[str, int]]) -> dict[str, int]:
        counts = {name: 0 for name, _ in MEMORY_TYPES}
        counts["cold_objects"] = 0
        for eraser in self._erasers:
            for kind, count in purge(eraser).items():
                counts[kind] = counts.get(kind, 0) + count
                failpoint(f"purge.after_{kind}")
        return counts

    def purge_agent(self, tenant_id: str, agent_id: str) -> dict[str, Any]:
        """Delete everything of one agent; answer with counts per memory type."""
        deleted = self._counts(lambda store: store.purge_agent(tenant_id, agent_id))
        self._idempotency.purge_agent(tenant_id, agent_id)
        flat = {flat_name: deleted[name] for name, flat_name in MEMORY_TYPES}
        return {"agent_id": agent_id, "deleted": deleted, **flat}

    def delete_tenant(self, tenant_id: str) -> dict[str, Any]:
        """Revoke every key of a tenant, erase all its data, then the tenant itself.

        Raises:
            NotFoundError: No such tenant.
        """
        if self._accounts.get_tenant(tenant_id) is None:
            raise NotFoundError(f"no tenant {tenant_id!r}")
        keys_revoked = self._accounts.revoke_tenant_keys(tenant_id, self._clock())
        deleted = self._counts(lambda store: store.purge_tenant(tenant_id))
        self._idempotency.purge_tenant(tenant_id)
        self._usage.purge_tenant(tenant_id)
        self._accounts.delete_tenant(tenant_id)
        return {"tenant_id": tenant_id, "keys_revoked": keys_revoked, "deleted": deleted}
