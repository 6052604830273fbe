"""Procedural memory: records and the store protocol."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from mnemora_server.stores.base.common import Store


@dataclass(frozen=True)
class Procedure:
    """One immutable version of a procedural definition.

    Attributes:
        agent_id: The agent.
        name: The definition's name.
        version: 1, 2, ... per name, never reused.
        type: ``tool``, ``schema``, ``prompt`` or ``rule``.
        definition: The JSON body.
        description: What it is for.
        active: Whether reads of the name without a version may return it.
        created_at: When this version was added.
    """

    agent_id: str
    name: str
    version: int
    type: str
    definition: Any
    description: str | None
    active: bool
    created_at: float


class ProceduralStore(Store, Protocol):
    """Versioned tool definitions, schemas, prompts and rules per agent."""

    def add_version(
        self,
        tenant_id: str,
        agent_id: str,
        name: str,
        *,
        type: str,
        definition: Any,
        description: str | None,
        active: bool,
        now: float,
    ) -> Procedure:
        """Add the next version of a name (versions of a deleted name are never reused)."""

    def get(
        self, tenant_id: str, agent_id: str, name: str, version: int | None
    ) -> Procedure | None:
        """A given version, or the latest active one."""

    def versions(self, tenant_id: str, agent_id: str, name: str) -> list[Procedure]:
        """Every version of a name, oldest first."""

    def list_latest(
        self, tenant_id: str, agent_id: str, *, limit: int, after: str | None
    ) -> list[Procedure]:
        """The latest active version of each name, by name, after ``after``."""

    def restore_version(self, tenant_id: str, procedure: Procedure) -> bool:
        """Store an exported version as it was (``False`` if that version exists)."""

    def delete(self, tenant_id: str, agent_id: str, name: str) -> int:
        """Delete every version of a name; return how many."""

    def totals(self, tenant_id: str) -> tuple[int, int]:
        """``(versions, bytes)`` of the tenant."""

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Procedures (by name, whatever their versions) per agent; agents with none left out."""

    def export(self, tenant_id: str, agent_id: str | None) -> Iterator[Procedure]:
        """Every version, in insertion order."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every version and counter of the agent; return versions removed."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every version and counter of the tenant; return versions removed."""
