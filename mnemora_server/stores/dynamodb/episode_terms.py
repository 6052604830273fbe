"""Keyword search over episodes on DynamoDB: a term index kept beside the episodes.

Every distinct meaningful word of an episode gets an item in ``/terms/tenant#agent/<word>``
(sort key ``<time>#<id>``), and ``/termset/tenant#agent`` remembers which words exist, so a
purge deletes them without a Scan. Terms outlive tiering, so search spans both tiers.
"""

from __future__ import annotations

from mnemora_server.stores.base import Episode
from mnemora_server.stores.base.keywords import query_terms, searchable_text
from mnemora_server.stores.dynamodb.episode_items import stamp, tenant_agents
from mnemora_server.stores.dynamodb.keys import dynamo_term_pk, dynamo_termset_pk
from mnemora_server.stores.dynamodb.table import DynamoTable, number_attr, string_attr

_MAX_TERMS = 64


class DynamoEpisodeTerms:
    """The term index of the episode store, over ``self.table``."""

    table: DynamoTable

    def _index_terms(self, tenant_id: str, ep: Episode) -> None:
        entry = f"{stamp(ep.timestamp)}#{ep.id}"
        requests = []
        for term in query_terms(searchable_text(ep.content))[:_MAX_TERMS]:
            posting = {
                "pk": string_attr(dynamo_term_pk(tenant_id, ep.agent_id, term)),
                "sk": string_attr(entry),
                "ts": number_attr(float(ep.timestamp)),
                "episode_id": string_attr(ep.id),
            }
            known = {
                "pk": string_attr(dynamo_termset_pk(tenant_id, ep.agent_id)),
                "sk": string_attr(term),
            }
            requests += [{"PutRequest": {"Item": posting}}, {"PutRequest": {"Item": known}}]
        self.table.batch_write(requests)

    def search_text(
        self, tenant_id: str, text: str, *, agent_id: str | None, limit: int
    ) -> list[tuple[str, str, float, float]]:
        """Episodes matching the words of ``text``: more matching words first, then newest."""
        terms = query_terms(text)
        scores: dict[tuple[str, str, float], float] = {}
        for agent in [agent_id] if agent_id else tenant_agents(self.table, tenant_id):
            for term in terms:
                for item in self.table.query(dynamo_term_pk(tenant_id, agent, term), ""):
                    ref = (item["episode_id"]["S"], agent, float(item["ts"]["N"]))
                    scores[ref] = scores.get(ref, 0.0) + 1.0
        ranked = sorted(scores.items(), key=lambda kv: (kv[1], kv[0][2]), reverse=True)
        return [(ref[0], ref[1], ref[2], score) for ref, score in ranked[:limit]]

    def unindex(self, tenant_id: str, agent_id: str, episodes: list[Episode]) -> None:
        """Remove the term postings of episodes (the term set keeps its words until purge)."""
        keys = [
            {
                "pk": string_attr(dynamo_term_pk(tenant_id, agent_id, term)),
                "sk": string_attr(f"{stamp(ep.timestamp)}#{ep.id}"),
            }
            for ep in episodes
            for term in query_terms(searchable_text(ep.content))[:_MAX_TERMS]
        ]
        self.table.delete_items(keys)

    def _purge_terms(self, tenant_id: str, agent_id: str) -> None:
        termset = dynamo_termset_pk(tenant_id, agent_id)
        for term_item in list(self.table.query(termset, "")):
            term_pk = dynamo_term_pk(tenant_id, agent_id, term_item["sk"]["S"])
            self.table.delete_items(
                [{"pk": i["pk"], "sk": i["sk"]} for i in self.table.query(term_pk, "")]
            )
            self.table.delete_items([{"pk": term_item["pk"], "sk": term_item["sk"]}])
