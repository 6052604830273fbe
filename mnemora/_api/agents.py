"""Across memory types: fused search, an agent's overview, export and import, purge, usage
and health."""

from __future__ import annotations

from typing import Any

from mnemora._api.descriptors import api_method
from mnemora._api.paths import put_optional, segment
from mnemora._core import Call, Plan
from mnemora.models import (
    HealthResponse,
    ImportResponse,
    PurgeResponse,
    SearchResult,
    UsageDayResponse,
    UsageResponse,
)


class AgentApi:
    """Whole-agent and tenant methods of both clients."""

    @api_method
    def search_all(
        self,
        query: str,
        agent_id: str | None = None,
        top_k: int = 10,
        *,
        metadata_filter: dict[str, Any] | None = None,
    ) -> Plan[list[SearchResult]]:
        """Search semantic and episodic memory in one ranking (``metadata_filter``: the
        semantic search's filter language, on the metadata of both)."""
        body: dict[str, Any] = {"query": query, "top_k": top_k}
        put_optional(body, agent_id=agent_id, metadata_filter=metadata_filter)
        result = yield Call("POST", "/v1/memory/search", json=body, write=False)
        return [SearchResult.model_validate(r) for r in result["results"]]

    @api_method
    def get_all_memory(self, agent_id: str) -> Plan[dict[str, Any]]:
        """A view of every memory type of an agent (``state``, ``semantic``, ``episodic``,
        ``procedural``), most recent first."""
        result = yield Call("GET", f"/v1/memory/{segment(agent_id)}")
        return dict(result)

    @api_method
    def export_agent(self, path: str, agent_id: str | None = None) -> Plan[int]:
        """Download the tenant's memory (or one agent's) as NDJSON into ``path``.

        Progress goes to stderr every 1,000 records. Returns the number of lines written.
        """
        return int(
            (yield Call("GET", "/v1/export", params={"agent_id": agent_id}, download_to=str(path)))
        )

    @api_method
    def import_file(self, path: str) -> Plan[ImportResponse]:
        """Import an NDJSON export into this tenant (idempotent: ids and versions are kept)."""
        with open(path, "rb") as handle:
            data = handle.read()
        result = yield Call("POST", "/v1/import", content=(data, "application/x-ndjson"))
        return ImportResponse.model_validate(result)

    @api_method
    def purge_agent(self, agent_id: str) -> Plan[PurgeResponse]:
        """Erase every byte of an agent in every store (idempotent).

        Returns:
            Counts of what was removed, per memory type.
        """
        return PurgeResponse.model_validate(
            (yield Call("DELETE", f"/v1/memory/{segment(agent_id)}"))
        )

    @api_method
    def get_usage(self) -> Plan[UsageResponse]:
        """The tenant's usage this day and month, and its limits."""
        return UsageResponse.model_validate((yield Call("GET", "/v1/usage")))

    @api_method
    def get_usage_daily(self, days: int = 30) -> Plan[list[UsageDayResponse]]:
        """The tenant's usage per UTC day, the last ``days`` (today included), oldest first."""
        result = yield Call("GET", "/v1/usage/daily", params={"days": days})
        return [UsageDayResponse.model_validate(day) for day in result["days"]]

    @api_method
    def health(self) -> Plan[HealthResponse]:
        """The server's health (needs no key)."""
        return HealthResponse.model_validate((yield Call("GET", "/v1/health")))
