"""The hot tier of episodic memory on DynamoDB, with its cold-segment manifest and a term index.

- Episodes: ``tenant#agent`` -> ``EPISODE#<time>#<id>`` (time-ordered queries, newest first
  with ``ScanIndexForward=False``); the ``session`` GSI keys them by ``tenant#agent#session``.
- Keyword search: a term index beside the episodes (:mod:`.episode_terms`).
- Manifest of cold segments: :mod:`.episode_segments`.
- Tenant registry: ``tenant#/`` -> ``EPISODES#<agent>`` (shared with working memory's table).
- Totals: ``tenant#/`` -> ``EPTOTALS#<agent>`` holds the agent's episode count and bytes over
  both tiers, changed by ``ADD`` in the same transaction that stores an episode (tiering moves
  episodes without changing them), and deleted last by a purge. Usage reads one item per agent
  instead of every episode.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from botocore.exceptions import ClientError

from mnemora_server.aws import AwsLocation, is_error, parse_aws_url
from mnemora_server.errors import UnavailableError
from mnemora_server.stores.base import (
    BackedStore,
    Episode,
    EpisodeFilter,
    EpisodeTotals,
    StoreOptions,
)
from mnemora_server.stores.dynamodb.episode_items import (
    EPISODE,
    REGISTRY,
    TENANTS,
    TOTALS,
    episode_from_item,
    query_episodes,
    sort_key,
    tenant_agents,
    totals_key,
    totals_update,
)
from mnemora_server.stores.dynamodb.episode_segments import DynamoEpisodeSegments
from mnemora_server.stores.dynamodb.episode_terms import DynamoEpisodeTerms
from mnemora_server.stores.dynamodb.keys import (
    dynamo_agent_pk,
    dynamo_session_key,
    dynamo_tenant_pk,
)
from mnemora_server.stores.dynamodb.table import DynamoTable


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


class DynamoEpisodeStore(DynamoEpisodeTerms, DynamoEpisodeSegments, BackedStore):
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
                "sk": {"S": sort_key(ep.timestamp, ep.id)},
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
                                    "sk": {"S": REGISTRY + ep.agent_id},
                                },
                            }
                        },
                        {
                            "Put": {
                                "TableName": self.table.name,
                                "Item": {"pk": {"S": TENANTS}, "sk": {"S": tenant_id}},
                            }
                        },
                        {
                            "Update": {
                                "TableName": self.table.name,
                                **totals_update(tenant_id, ep.agent_id, 1, ep.stored_bytes),
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

    # -- reads -------------------------------------------------------------------------------

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
            query_episodes(
                self.table,
                dynamo_session_key(tenant_id, query.agent_id, query.session_id),
                newest_first=True,
                start=query.start,
                end=query.end,
                index="session",
            )
            if query.session_id is not None
            else query_episodes(
                self.table,
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
        for ep in query_episodes(
            self.table,
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
            item = self.table.get(dynamo_agent_pk(tenant_id, agent_id), sort_key(ts, episode_id))
            if item is not None:
                found[episode_id] = episode_from_item(item)
        return found

    def delete_session(self, tenant_id: str, agent_id: str, session_id: str) -> int:
        """Delete a session's hot episodes with their term postings and totals."""
        pk = dynamo_agent_pk(tenant_id, agent_id)
        # The agent's own partition (consistent reads), not the session index (eventual).
        doomed = [
            ep
            for ep in query_episodes(self.table, pk, newest_first=False)
            if ep.session_id == session_id
        ]
        if not doomed:
            return 0
        self.unindex(tenant_id, agent_id, doomed)
        self.table.delete_items(
            [{"pk": {"S": pk}, "sk": {"S": sort_key(ep.timestamp, ep.id)}} for ep in doomed]
        )
        size = sum(ep.stored_bytes for ep in doomed)
        self.table.call("update_item", **totals_update(tenant_id, agent_id, -len(doomed), -size))
        return len(doomed)

    def agents(self, tenant_id: str) -> list[str]:
        """Agents of the tenant with episodes in either tier."""
        return tenant_agents(self.table, tenant_id)

    def totals(self, tenant_id: str) -> EpisodeTotals:
        """Episodes, bytes and agents of the tenant in both tiers (one counter item per agent)."""
        episodes = size = 0
        for item in self.table.query(dynamo_tenant_pk(tenant_id), TOTALS):
            episodes += int(item.get("episodes", {"N": "0"})["N"])
            size += int(item.get("bytes", {"N": "0"})["N"])
        return EpisodeTotals(episodes=episodes, bytes=size, agents=len(self.agents(tenant_id)))

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Episodes in both tiers, per agent (one Query of the tenant's totals items)."""
        counts = {
            item["sk"]["S"][len(TOTALS) :]: int(item.get("episodes", {"N": "0"})["N"])
            for item in self.table.query(dynamo_tenant_pk(tenant_id), TOTALS)
        }
        return {agent: count for agent, count in counts.items() if count}

    def export_hot(self, tenant_id: str, agent_id: str | None) -> Iterator[Episode]:
        """Every hot episode, oldest first per agent."""
        for agent in [agent_id] if agent_id else self.agents(tenant_id):
            yield from query_episodes(
                self.table, dynamo_agent_pk(tenant_id, agent), newest_first=False
            )

    # -- erasure -----------------------------------------------------------------------------

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Delete the agent's hot episodes, term index and registry entry."""
        pk = dynamo_agent_pk(tenant_id, agent_id)
        episodes = list(self.table.query(pk, EPISODE))
        self.table.delete_items([{"pk": i["pk"], "sk": i["sk"]} for i in episodes])
        self._purge_terms(tenant_id, agent_id)
        if not self.segment_keys(tenant_id, agent_id):
            # Last: the cold tier is gone (the service purges it first), and so is the hot one.
            self.table.delete_items(
                [
                    totals_key(tenant_id, agent_id),
                    {"pk": {"S": dynamo_tenant_pk(tenant_id)}, "sk": {"S": REGISTRY + agent_id}},
                ]
            )
        return len(episodes)

    def purge_tenant(self, tenant_id: str) -> int:
        """Delete every hot episode of the tenant."""
        removed = sum(self.purge_agent(tenant_id, agent) for agent in self.agents(tenant_id))
        self.table.delete_items([{"pk": {"S": TENANTS}, "sk": {"S": tenant_id}}])
        return removed
