"""Procedural memory: versioned tools, schemas, prompts and rules."""

from __future__ import annotations

from typing import Any

from mnemora._api.descriptors import api_method
from mnemora._api.paths import every_item, put_optional, segment
from mnemora._core import Call, Plan
from mnemora.models import ProcedureResponse


class ProceduralMemoryApi:
    """Procedural-memory methods of both clients."""

    @api_method
    def store_procedure(
        self,
        agent_id: str,
        name: str,
        type: str,
        definition: Any,
        description: str | None = None,
        *,
        active: bool = True,
    ) -> Plan[ProcedureResponse]:
        """Add a version of a tool, schema, prompt or rule (earlier versions stay)."""
        body: dict[str, Any] = {
            "agent_id": agent_id,
            "name": name,
            "type": type,
            "definition": definition,
            "active": active,
        }
        put_optional(body, description=description)
        result = yield Call("POST", "/v1/memory/procedural", json=body)
        return ProcedureResponse.model_validate(result)

    @api_method
    def get_procedure(
        self, agent_id: str, name: str, version: int | None = None
    ) -> Plan[ProcedureResponse]:
        """A definition: the latest active version, or the asked one."""
        result = yield Call(
            "GET",
            f"/v1/memory/procedural/{segment(agent_id)}/{segment(name)}",
            params={"version": version},
        )
        return ProcedureResponse.model_validate(result)

    @api_method
    def list_procedures(self, agent_id: str) -> Plan[list[ProcedureResponse]]:
        """The latest active version of each of an agent's definitions."""
        items = yield from every_item(
            f"/v1/memory/procedural/{segment(agent_id)}", "procedures", 1000
        )
        return [ProcedureResponse.model_validate(item) for item in items]

    @api_method
    def delete_procedure(self, agent_id: str, name: str) -> Plan[int]:
        """Delete every version of a definition; returns how many were deleted."""
        result = yield Call("DELETE", f"/v1/memory/procedural/{segment(agent_id)}/{segment(name)}")
        return int(result["versions_deleted"])
