"""The hot tier of episodic memory on DynamoDB, with its cold-segment manifest and a term index.

- Episodes: ``tenant#agent`` -> ``EPISODE#<time>#<id>`` (time-ordered queries, newest first
  with ``ScanIndexForward=False``); the ``session`` GSI keys them by ``tenant#agent#session``.
- Keyword search: every distinct meaningful word of an episode gets an item in
  ``/terms/tenant#agent/<word>`` (sort key ``<time>#<id>``), and ``/termset/tenant#agent``
  remembers which words exist, so a purge deletes them without a Scan.
- Manifest: ``/segments/<tenant>`` -> ``<agent>#<segment>``, written before the moved episodes
  are deleted from the hot tier (in batches of 25). A crash between the two leaves episodes in
  both tiers, which reads de-duplicate by id, and the next tiering run moves them again.
- Tenant registry: ``tenant#/`` -> ``EPISODES#<agent>`` (shared with working memory's table).
- Totals: ``tenant#/`` -> ``EPTOTALS#<agent>`` holds the agent's episode count and bytes over
  both tiers, changed by ``ADD`` in the same transaction that stores an episode (tiering moves
  episodes without changing them), and deleted last by a purge. Usage reads one item per agent
  instead of every episode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from mnemora_server.aws import AwsLocation, is_error, parse_aws_url
from mnemora_server.errors import ConflictError, UnavailableError
from mnemora_server.stores.base import (
    BackedStore,
    Episode,
    EpisodeFilter,
    EpisodeTotals,
    Segment,
    StoreOptions,
)
from mnemora_server.stores.base.keywords import query_terms, searchable_text
from mnemora_server.stores.dynamodb.keys import (
    dynamo_agent_pk,
    dynamo_manifest_pk,
    dynamo_session_key,
    dynamo_tenant_pk,
    dynamo_term_pk,
    dynamo_termset_pk,
)
from mnemora_server.stores.dynamodb.table import DynamoTable

_EPISODE = "EPISODE#"
_REGISTRY = "EPISODES#"
_TOTALS = "EPTOTALS#"
_MAX_TERMS = 64
_TENANTS = "/episode-tenants"


def _stamp(ts: float) -> str:
    return f"{round(ts * 1_000_000):020d}"


def _sk(ts: float, episode_id: str) -> str:
    return f"{_EPISODE}{_stamp(ts)}#{episode_id}"


def _episode(item: dict[str, Any]) -> Episode:
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


def _already_stored(exc: ClientError) -> bool:
    """Whether a cancelled episode transaction failed only because the episode exists."""
    if not is_error(exc, "TransactionCanceledException"):
        return False
    reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
    return (
        bool(reasons)
        and reasons[0] == "ConditionalCheckFailed"
        and all(code in ("None", "") for code in reasons[1:])
    )


def _segment(item: dict[str, Any]) -> Segment:
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


class DynamoEpisodeStore(BackedStore):
    """:class:`~mnemora_server.stores.base.EpisodeStore` on one DynamoDB table."""

    def __init__(self, location: AwsLocation) -> None:
        self.table = DynamoTable(location)
        super().__init__(self.table)

    @classmethod
    def from_url(cls, url: str, options: StoreOptions) -> DynamoEpisodeStore:
        """The store of a ``dynamodb://table?region=..&endpoint_url=..`` URL."""
        return cls(parse_aws_url(url, "dynamodb"))

    # -- writes ------------------------------------------------------------------------------

    def append(self, tenant_id: str, episodes: list[Episode], *, restore: bool = False) -> int:
        """Store episodes (each with its term entries); with ``restore``, skip known ids."""
        stored = 0
        for ep in episodes:
            pk = dynamo_agent_pk(tenant_id, ep.agent_id)
            item = {
                "pk": {"S": pk},
                "sk": {"S": _sk(ep.timestamp, ep.id)},
                "gsi_session": {"S": dynamo_session_key(tenant_id, ep.agent_id, ep.session_id)},
                "id": {"S": ep.id},
                "agent_id": {"S": ep.agent_id},
                "session_id": {"S": ep.session_id},
                "type": {"S": ep.type},
                "content": {"S": json.dumps(ep.content)},
                "metadata": {"S": json.dumps(ep.metadata)},
                "ts": {"N": repr(float(ep.timestamp))},
                "ingested_at": {"N": repr(float(ep.ingested_at))},
            }
            try:
                self.table.transact(
                    [
                        {
                            "Put": {
                                "TableName": self.table.name,
                                "Item": item,
                                "ConditionExpression": "attribute_not_exists(pk)",
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.table.name,
                                "Item": {
                                    "pk": {"S": dynamo_tenant_pk(tenant_id)},
                                    "sk": {"S": _REGISTRY + ep.agent_id},
                                },
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.table.name,
                                "Item": {"pk": {"S": _TENANTS}, "sk": {"S": tenant_id}},
                            }
                        },
                        {
                            "Update": {
                                "TableName": self.table.name,
                                "Key": self._totals_key(tenant_id, ep.agent_id),
                                "UpdateExpression": "ADD episodes :one, #bytes :size",
                                "ExpressionAttributeNames": {"#bytes": "bytes"},
                                "ExpressionAttributeValues": {
                                    ":one": {"N": "1"},
                                    ":size": {"N": str(ep.stored_bytes)},
                                },
                            }
                        },
                    ]
                )
            except ClientError as exc:
                if not _already_stored(exc):
                    raise UnavailableError(
                        "DynamoDB refused the episode; nothing was written"
                    ) from exc
                if not restore:
                    # Server ids are unique, so an earlier attempt of this request stored it
                    # (botocore's retry after a lost answer, or the client's retry): make sure
                    # its terms are indexed, which that attempt may not have lived to do.
                    self._index_terms(tenant_id, ep)
                continue
            stored += 1
            self._index_terms(tenant_id, ep)
        return stored

    @staticmethod
    def _totals_key(tenant_id: str, agent_id: str) -> dict[str, Any]:
        return {"pk": {"S": dynamo_tenant_pk(tenant_id)}, "sk": {"S": _TOTALS + agent_id}}

    def _index_terms(self, tenant_id: str, ep: Episode) -> None:
        terms = query_terms(searchable_text(ep.content))[:_MAX_TERMS]
        entry = f"{_stamp(ep.timestamp)}#{ep.id}"
        requests = []
        for term in terms:
            requests.append(
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": dynamo_term_pk(tenant_id, ep.agent_id, term)},
                            "sk": {"S": entry},
                            "ts": {"N": repr(float(ep.timestamp))},
                            "episode_id": {"S": ep.id},
                        }
                    }
                }
            )
            requests.append(
                {
                    "PutRequest": {
                        "Item": {
                            "pk": {"S": dynamo_termset_pk(tenant_id, ep.agent_id)},
                            "sk": {"S": term},
                        }
                    }
                }
            )
        self.table.batch_write(requests)

    # -- reads -------------------------------------------------------------------------------

    def _episodes(
        self,
        pk: str,
        *,
        newest_first: bool,
        start: float | None = None,
        end: float | None = None,
        index: str | None = None,
    ) -> Iterator[Episode]:
        low = _EPISODE + (_stamp(start) if start is not None else "")
        high = _EPISODE + (_stamp(end) + "#\uffff" if end is not None else "\uffff")
        key = "gsi_session" if index else "pk"
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": f"{key} = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":pk": {"S": pk},
                ":low": {"S": low},
                ":high": {"S": high},
            },
            "ScanIndexForward": not newest_first,
        }
        if index:
            kwargs["IndexName"] = index
        else:
            kwargs["ConsistentRead"] = True
        for item in self.table.query_raw(**kwargs):
            yield _episode(item)

    def list_hot(
        self,
        tenant_id: str,
        query: EpisodeFilter,
        *,
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[Episode]:
        """Hot episodes passing ``query``, newest first, strictly before ``before``."""
        found: list[Episode] = []
        source = (
            self._episodes(
                dynamo_session_key(tenant_id, query.agent_id, query.session_id),
                newest_first=True,
                start=query.start,
                end=query.end,
                index="session",
            )
            if query.session_id is not None
            else self._episodes(
                dynamo_agent_pk(tenant_id, query.agent_id),
                newest_first=True,
                start=query.start,
                end=query.end,
            )
        )
        for ep in source:
            if before is not None and (ep.timestamp, ep.id) >= before:
                continue
            if query.matches(ep):
                found.append(ep)
                if len(found) == limit:
                    break
        return found

    def session_hot(
        self,
        tenant_id: str,
        agent_id: str,
        session_id: str,
        *,
        after: tuple[float, str] | None,
        limit: int,
    ) -> list[Episode]:
        """Hot episodes of one session, oldest first, strictly after ``after``."""
        found: list[Episode] = []
        for ep in self._episodes(
            dynamo_session_key(tenant_id, agent_id, session_id),
            newest_first=False,
            index="session",
            start=after[0] if after else None,
        ):
            if after is not None and (ep.timestamp, ep.id) <= after:
                continue
            found.append(ep)
            if len(found) == limit:
                break
        return found

    def get_hot(self, tenant_id: str, refs: list[tuple[str, str, float]]) -> dict[str, Episode]:
        """Hot episodes by ``(episode_id, agent_id, timestamp)``."""
        found: dict[str, Episode] = {}
        for episode_id, agent_id, ts in refs:
            answer = self.table.call(
                "get_item",
                Key={
                    "pk": {"S": dynamo_agent_pk(tenant_id, agent_id)},
                    "sk": {"S": _sk(ts, episode_id)},
                },
                ConsistentRead=True,
            )
            if "Item" in answer:
                found[episode_id] = _episode(answer["Item"])
        return found

    def search_text(
        self, tenant_id: str, text: str, *, agent_id: str | None, limit: int
    ) -> list[tuple[str, str, float, float]]:
        """Episodes matching the words of ``text``: more matching words first, then newest."""
        terms = query_terms(text)
        scores: dict[tuple[str, str, float], float] = {}
        for agent in [agent_id] if agent_id else self.agents(tenant_id):
            for term in terms:
                for item in self.table.query(dynamo_term_pk(tenant_id, agent, term), ""):
                    ref = (item["episode_id"]["S"], agent, float(item["ts"]["N"]))
                    scores[ref] = scores.get(ref, 0.0) + 1.0
        ranked = sorted(scores.items(), key=lambda kv: (kv[1], kv[0][2]), reverse=True)
        return [(ref[0], ref[1], ref[2], score) for ref, score in ranked[:limit]]

    def agents(self, tenant_id: str) -> list[str]:
        """Agents of the tenant with episodes in either tier."""
        hot = {
            i["sk"]["S"][len(_REGISTRY) :]
            for i in self.table.query(dynamo_tenant_pk(tenant_id), _REGISTRY)
        }
        cold = {i["agent_id"]["S"] for i in self.table.query(dynamo_manifest_pk(tenant_id), "")}
        return sorted(hot | cold)

    # -- tiering -----------------------------------------------------------------------------

    def tiering_candidates(self, cutoff: float) -> list[tuple[str, str]]:
        """Agents whose oldest hot episode is older than ``cutoff`` (registries, no Scan)."""
        found = []
        for entry in self.table.query(_TENANTS, ""):
            tenant_id = entry["sk"]["S"]
            for agent in self.agents(tenant_id):
                oldest = next(
                    self._episodes(dynamo_agent_pk(tenant_id, agent), newest_first=False), None
                )
                if oldest is not None and oldest.timestamp < cutoff:
                    found.append((tenant_id, agent))
        return found

    def old_hot(self, tenant_id: str, agent_id: str, cutoff: float, limit: int) -> list[Episode]:
        """The oldest hot episodes of an agent before ``cutoff``."""
        found: list[Episode] = []
        for ep in self._episodes(dynamo_agent_pk(tenant_id, agent_id), newest_first=False):
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
        self.table.call(
            "put_item",
            Item={
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
            },
        )
        pk = dynamo_agent_pk(tenant_id, segment.agent_id)
        self.table.delete_items(
            [{"pk": {"S": pk}, "sk": {"S": _sk(ep.timestamp, ep.id)}} for ep in episodes.values()]
        )

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
            _segment(i) for i in self.table.query(dynamo_manifest_pk(tenant_id), f"{agent_id}#")
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

    def totals(self, tenant_id: str) -> EpisodeTotals:
        """Episodes, bytes and agents of the tenant in both tiers (one counter item per agent)."""
        episodes = size = 0
        for item in self.table.query(dynamo_tenant_pk(tenant_id), _TOTALS):
            episodes += int(item.get("episodes", {"N": "0"})["N"])
            size += int(item.get("bytes", {"N": "0"})["N"])
        return EpisodeTotals(episodes=episodes, bytes=size, agents=len(self.agents(tenant_id)))

    def export_hot(self, tenant_id: str, agent_id: str | None) -> Iterator[Episode]:
        """Every hot episode, oldest first per agent."""
        for agent in [agent_id] if agent_id else self.agents(tenant_id):
            yield from self._episodes(dynamo_agent_pk(tenant_id, agent), newest_first=False)

    # -- erasure -----------------------------------------------------------------------------

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Delete the agent's hot episodes, term index and registry entry."""
        pk = dynamo_agent_pk(tenant_id, agent_id)
        episodes = list(self.table.query(pk, _EPISODE))
        self.table.delete_items([{"pk": i["pk"], "sk": i["sk"]} for i in episodes])
        termset = dynamo_termset_pk(tenant_id, agent_id)
        for term_item in list(self.table.query(termset, "")):
            term_pk = dynamo_term_pk(tenant_id, agent_id, term_item["sk"]["S"])
            self.table.delete_items(
                [{"pk": i["pk"], "sk": i["sk"]} for i in self.table.query(term_pk, "")]
            )
            self.table.delete_items([{"pk": term_item["pk"], "sk": term_item["sk"]}])
        if not self.segment_keys(tenant_id, agent_id):
            # Last: the cold tier is gone (the service purges it first), and so is the hot one.
            self.table.delete_items(
                [
                    self._totals_key(tenant_id, agent_id),
                    {"pk": {"S": dynamo_tenant_pk(tenant_id)}, "sk": {"S": _REGISTRY + agent_id}},
                ]
            )
        return len(episodes)

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete every hot episode of the tenant."""
        removed = sum(self.purge_agent(tenant_id, agent) for agent in self.agents(tenant_id))
        self.table.delete_items([{"pk": {"S": _TENANTS}, "sk": {"S": tenant_id}}])
        return removed
