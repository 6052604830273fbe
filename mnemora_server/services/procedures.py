"""Procedural memory: named, typed, immutable versions of tools, schemas, prompts and rules."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mnemora_server.errors import NotFoundError, PayloadTooLargeError, ValidationError
from mnemora_server.services.cursors import decode_cursor, encode_cursor
from mnemora_server.stores.base import ProceduralStore, Procedure

PROCEDURE_TYPES = ("tool", "schema", "prompt", "rule")
MAX_DEFINITION_BYTES = 256 * 1024


@dataclass(frozen=True)
class ProcedurePage:
    """The latest version of each name, a page at a time."""

    procedures: list[Procedure]
    next_cursor: str | None


class ProceduralMemoryService:
    """The rules of procedural memory over any :class:`ProceduralStore`."""

    def __init__(self, store: ProceduralStore, clock: Callable[[], float]) -> None:
        self._store = store
        self._clock = clock

    def add(
        self,
        tenant_id: str,
        agent_id: str,
        name: str,
        *,
        type: str,
        definition: Any,
        description: str | None,
        active: bool = True,
    ) -> Procedure:
        """Add a new version of ``name`` (earlier versions stay as they are)."""
        if type in ("tool", "schema") and not isinstance(definition, dict):
            raise ValidationError(f"a {type} definition must be a JSON object")
        if type == "prompt" and not isinstance(definition, str | dict):
            raise ValidationError("a prompt definition must be a string or a JSON object")
        size = len(json.dumps(definition))
        if size > MAX_DEFINITION_BYTES:
            raise PayloadTooLargeError(
                f"definition is {size} bytes; the limit is {MAX_DEFINITION_BYTES}"
            )
        return self._store.add_version(
            tenant_id,
            agent_id,
            name,
            type=type,
            definition=definition,
            description=description,
            active=active,
            now=self._clock(),
        )

    def get(self, tenant_id: str, agent_id: str, name: str, version: int | None) -> Procedure:
        """The asked version, or the latest active one."""
        found = self._store.get(tenant_id, agent_id, name, version)
        if found is None:
            which = f"version {version} of " if version is not None else ""
            raise NotFoundError(f"no {which}procedure {name!r} for agent {agent_id!r}")
        return found

    def versions(self, tenant_id: str, agent_id: str, name: str) -> list[Procedure]:
        """Every version of a name."""
        found = self._store.versions(tenant_id, agent_id, name)
        if not found:
            raise NotFoundError(f"no procedure {name!r} for agent {agent_id!r}")
        return found

    def list_latest(
        self, tenant_id: str, agent_id: str, *, limit: int, cursor: str | None
    ) -> ProcedurePage:
        """The latest active version of each name."""
        position = decode_cursor(cursor, kind="procedures")
        after = str(position["after"]) if position else None
        rows = self._store.list_latest(tenant_id, agent_id, limit=limit + 1, after=after)
        page = rows[:limit]
        more = len(rows) > limit
        next_cursor = encode_cursor({"k": "procedures", "after": page[-1].name}) if more else None
        return ProcedurePage(page, next_cursor)

    def delete(self, tenant_id: str, agent_id: str, name: str) -> int:
        """Delete every version of a name."""
        removed = self._store.delete(tenant_id, agent_id, name)
        if not removed:
            raise NotFoundError(f"no procedure {name!r} for agent {agent_id!r}")
        return removed
