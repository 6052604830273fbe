"""The manifest of cold segments on DynamoDB, and the hot side of tiering.

The manifest item of a segment (``/segments/<tenant>`` -> ``<agent>#<segment>``) is written
before the moved episodes are deleted from the hot tier (in batches of 25). A crash between
the two leaves episodes in both tiers, which reads de-duplicate by id, and the next tiering
run moves them again.
"""

from __future__ import annotations

from typing import Any

from mnemora_server.errors import ConflictError
from mnemora_server.stores.base import Episode, Segment
from mnemora_server.stores.dynamodb.episode_items import (
    TENANTS,
    manifest_item,
    query_episodes,
    segment_from_item,
    sort_key,
    tenant_agents,
    totals_update,
)
from mnemora_server.stores.dynamodb.keys import dynamo_agent_pk, dynamo_manifest_pk
from mnemora_server.stores.dynamodb.table import DynamoTable


class DynamoEpisodeSegments:
    """The cold-segment manifest of the episode store, over ``self.table``."""

    table: DynamoTable

    def tiering_candidates(self, cutoff: float) -> list[tuple[str, str]]:
        """Agents whose oldest hot episode is older than ``cutoff`` (registries, no Scan)."""
        found = []
        for entry in self.table.query(TENANTS, ""):
            tenant_id = entry["sk"]["S"]
            for agent in tenant_agents(self.table, tenant_id):
                pk = dynamo_agent_pk(tenant_id, agent)
                oldest = next(query_episodes(self.table, pk, newest_first=False), None)
                if oldest is not None and oldest.timestamp < cutoff:
                    found.append((tenant_id, agent))
        return found

    def old_hot(self, tenant_id: str, agent_id: str, cutoff: float, limit: int) -> list[Episode]:
        """The oldest hot episodes of an agent before ``cutoff``."""
        found: list[Episode] = []
        pk = dynamo_agent_pk(tenant_id, agent_id)
        for ep in query_episodes(self.table, pk, newest_first=False):
            if ep.timestamp >= cutoff or len(found) == limit:
                break
            found.append(ep)
        return found

    def commit_segment(self, tenant_id: str, segment: Segment, ids: list[str]) -> None:
        """Record the segment, then delete its hot episodes (each delete conditional)."""
        episodes = {
            ep.id: ep
            for ep in self.old_hot(
                tenant_id, segment.agent_id, segment.max_ts + 1e-6, len(ids) * 2 + 10
            )
            if ep.id in set(ids)
        }
        if len(episodes) != len(ids):
            raise ConflictError("episodes changed while they were being tiered")
        self.table.call("put_item", Item=manifest_item(tenant_id, segment))
        pk = dynamo_agent_pk(tenant_id, segment.agent_id)
        self.table.delete_items(
            [
                {"pk": {"S": pk}, "sk": {"S": sort_key(ep.timestamp, ep.id)}}
                for ep in episodes.values()
            ]
        )

    def replace_segment(self, tenant_id: str, old: Segment, new: Segment | None) -> None:
        """Record ``new`` and drop ``old`` from the manifest and totals in one transaction."""
        table = self.table.name
        items: list[dict[str, Any]] = []
        if new is not None:
            items.append({"Put": {"TableName": table, "Item": manifest_item(tenant_id, new)}})
        old_key = {
            "pk": {"S": dynamo_manifest_pk(tenant_id)},
            "sk": {"S": f"{old.agent_id}#{old.segment_id}"},
        }
        items.append({"Delete": {"TableName": table, "Key": old_key}})
        count, size = (new.count, new.bytes) if new is not None else (0, 0)
        update = totals_update(tenant_id, old.agent_id, count - old.count, size - old.bytes)
        items.append({"Update": {"TableName": table, **update}})
        self.table.transact(items)

    def segments(
        self,
        tenant_id: str,
        agent_id: str,
        *,
        start: float | None = None,
        end: float | None = None,
        session_id: str | None = None,
    ) -> list[Segment]:
        """Segments of an agent overlapping ``[start, end]``, newest first."""
        found = [
            segment_from_item(i)
            for i in self.table.query(dynamo_manifest_pk(tenant_id), f"{agent_id}#")
        ]
        found = [
            s
            for s in found
            if (start is None or s.max_ts >= start)
            and (end is None or s.min_ts <= end)
            and (session_id is None or session_id in s.sessions)
        ]
        return sorted(found, key=lambda s: (s.max_ts, s.segment_id), reverse=True)

    def segment_keys(self, tenant_id: str, agent_id: str | None) -> list[str]:
        """Every recorded object key of an agent or tenant."""
        prefix = f"{agent_id}#" if agent_id else ""
        return [
            i["object_key"]["S"] for i in self.table.query(dynamo_manifest_pk(tenant_id), prefix)
        ]

    def forget_segments(self, tenant_id: str, agent_id: str | None) -> int:
        """Delete manifest items (after their objects are gone); return episodes they held."""
        prefix = f"{agent_id}#" if agent_id else ""
        items = list(self.table.query(dynamo_manifest_pk(tenant_id), prefix))
        self.table.delete_items([{"pk": i["pk"], "sk": i["sk"]} for i in items])
        return sum(int(i["episodes"]["N"]) for i in items)
