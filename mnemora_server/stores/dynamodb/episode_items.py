"""How episodes and cold segments are laid out as DynamoDB items, and read back.

- Episodes: ``tenant#agent`` -> ``EPISODE#<time>#<id>`` (time-ordered queries, newest first
  with ``ScanIndexForward=False``); the ``session`` GSI keys them by ``tenant#agent#session``.
- Tenant registry: ``tenant#/`` -> ``EPISODES#<agent>`` (shared with working memory's table),
  and ``/episode-tenants`` -> ``<tenant>`` (which tenants have episodes: tiering needs no Scan).
- Manifest: ``/segments/<tenant>`` -> ``<agent>#<segment>``.
- Totals: ``tenant#/`` -> ``EPTOTALS#<agent>``: the agent's episodes and bytes over both tiers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from mnemora_server.stores.base import Episode, Segment
from mnemora_server.stores.dynamodb.keys import dynamo_manifest_pk, dynamo_tenant_pk
from mnemora_server.stores.dynamodb.table import DynamoTable

EPISODE = "EPISODE#"
REGISTRY = "EPISODES#"
TENANTS = "/episode-tenants"
TOTALS = "EPTOTALS#"


def totals_key(tenant_id: str, agent_id: str) -> dict[str, Any]:
    """The key of an agent's totals item."""
    return {"pk": {"S": dynamo_tenant_pk(tenant_id)}, "sk": {"S": TOTALS + agent_id}}


def totals_update(tenant_id: str, agent_id: str, episodes: int, size: int) -> dict[str, Any]:
    """An ``Update`` (of a transaction or ``update_item``) adding to an agent's totals."""
    return {
        "Key": totals_key(tenant_id, agent_id),
        "UpdateExpression": "ADD episodes :episodes, #bytes :size",
        "ExpressionAttributeNames": {"#bytes": "bytes"},
        "ExpressionAttributeValues": {
            ":episodes": {"N": str(episodes)},
            ":size": {"N": str(size)},
        },
    }


def manifest_item(tenant_id: str, segment: Segment) -> dict[str, Any]:
    """The manifest item recording a segment."""
    return {
        "pk": {"S": dynamo_manifest_pk(tenant_id)},
        "sk": {"S": f"{segment.agent_id}#{segment.segment_id}"},
        "segment_id": {"S": segment.segment_id},
        "agent_id": {"S": segment.agent_id},
        "object_key": {"S": segment.key},
        "episodes": {"N": str(segment.count)},
        "bytes": {"N": str(segment.bytes)},
        "min_ts": {"N": repr(segment.min_ts)},
        "max_ts": {"N": repr(segment.max_ts)},
        "sessions": {"S": json.dumps(list(segment.sessions))},
    }


def stamp(ts: float) -> str:
    """A timestamp as a sortable string (microseconds, zero-padded)."""
    return f"{round(ts * 1_000_000):020d}"


def sort_key(ts: float, episode_id: str) -> str:
    """The sort key of an episode in its agent's partition."""
    return f"{EPISODE}{stamp(ts)}#{episode_id}"


def episode_from_item(item: dict[str, Any]) -> Episode:
    """The episode an item holds."""
    return Episode(
        id=item["id"]["S"],
        agent_id=item["agent_id"]["S"],
        session_id=item["session_id"]["S"],
        type=item["type"]["S"],
        content=json.loads(item["content"]["S"]),
        metadata=json.loads(item["metadata"]["S"]),
        timestamp=float(item["ts"]["N"]),
        ingested_at=float(item["ingested_at"]["N"]),
    )


def segment_from_item(item: dict[str, Any]) -> Segment:
    """The cold segment a manifest item records."""
    return Segment(
        segment_id=item["segment_id"]["S"],
        agent_id=item["agent_id"]["S"],
        key=item["object_key"]["S"],
        count=int(item["episodes"]["N"]),
        bytes=int(item["bytes"]["N"]),
        min_ts=float(item["min_ts"]["N"]),
        max_ts=float(item["max_ts"]["N"]),
        sessions=tuple(json.loads(item["sessions"]["S"])),
    )


def query_episodes(
    table: DynamoTable,
    pk: str,
    *,
    newest_first: bool,
    start: float | None = None,
    end: float | None = None,
    index: str | None = None,
) -> Iterator[Episode]:
    """The episodes of one partition (or of one session, through the ``session`` index)
    within ``[start, end]``, in time order, page after page."""
    low = EPISODE + (stamp(start) if start is not None else "")
    high = EPISODE + (stamp(end) + "#\uffff" if end is not None else "\uffff")
    key = "gsi_session" if index else "pk"
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": f"{key} = :pk AND sk BETWEEN :low AND :high",
        "ExpressionAttributeValues": {":pk": {"S": pk}, ":low": {"S": low}, ":high": {"S": high}},
        "ScanIndexForward": not newest_first,
    }
    if index:
        kwargs["IndexName"] = index
    else:
        kwargs["ConsistentRead"] = True
    for item in table.query_raw(**kwargs):
        yield episode_from_item(item)


def tenant_agents(table: DynamoTable, tenant_id: str) -> list[str]:
    """Agents of the tenant with episodes in either tier (registry and manifest)."""
    hot = {
        i["sk"]["S"][len(REGISTRY) :] for i in table.query(dynamo_tenant_pk(tenant_id), REGISTRY)
    }
    cold = {i["agent_id"]["S"] for i in table.query(dynamo_manifest_pk(tenant_id), "")}
    return sorted(hot | cold)
