"""The long-term store of an agent (LangGraph's ``BaseStore``) over an ItemStore.

A batch runs as LangGraph's own in-memory store runs one: every read (get, search, list of
namespaces) sees the store as it was before the batch, then the puts and deletes apply
together, the last one of each item winning. The texts to index and the queries of a batch
are embedded with the server's model in one call. Searches without a query list items in the
order their namespace was created and then their first write; searches with one rank items by
their best indexed field, and fill up with items that have none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

import numpy as np

from mnemora_server.services.item_filters import check_filter, namespace_matches, value_matches
from mnemora_server.stores.base.items import ItemStore, ItemWrite, Namespace, StoredItem

Embed = Callable[[str, list[str]], Any]
"""Embeds texts for a tenant (and counts them): ``(tenant_id, texts) -> vectors``."""


@dataclass(frozen=True)
class GetItem:
    """Read one item."""

    namespace: Namespace
    key: str
    refresh_ttl: bool = True


@dataclass(frozen=True)
class SearchItems:
    """Items under a namespace prefix, filtered, optionally ranked by a query."""

    namespace_prefix: Namespace
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool = True


@dataclass(frozen=True)
class PutItem:
    """Write an item (``value`` ``None``: delete it); ``texts`` are its fields to index."""

    namespace: Namespace
    key: str
    value: dict[str, Any] | None
    texts: tuple[tuple[str, str], ...] = ()
    ttl_minutes: float | None = None


@dataclass(frozen=True)
class MatchCondition:
    """A namespace must start (``prefix``) or end (``suffix``) with ``path``."""

    match_type: Literal["prefix", "suffix"]
    path: Namespace


@dataclass(frozen=True)
class ListNamespaces:
    """Namespaces holding items, filtered, cut to a depth, sorted and paged."""

    conditions: tuple[MatchCondition, ...] = ()
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


ItemOp = GetItem | SearchItems | PutItem | ListNamespaces


@dataclass(frozen=True)
class Found:
    """An item a read returns, with its score when a query ranked it."""

    item: StoredItem
    score: float | None = None


@dataclass
class _Batch:
    """What a batch reads, writes and refreshes."""

    results: list[Any] = field(default_factory=list)
    refresh: dict[tuple[Namespace, str], None] = field(default_factory=dict)


class ItemService:
    """An agent's long-term store.

    Args:
        store: Where items live.
        embed: Embeds texts with the server's model and counts them for the tenant.
        clock: The time source.
    """

    def __init__(self, store: ItemStore, embed: Embed, clock: Callable[[], float]) -> None:
        self._store = store
        self._embed = embed
        self._clock = clock

    def batch(self, tenant_id: str, agent_id: str, ops: list[ItemOp]) -> list[Any]:
        """Run ``ops``; one result per op, in order (``None`` for a put).

        Raises:
            ValidationError: A filter has an unknown operator.
        """
        for op in ops:
            if isinstance(op, SearchItems):
                check_filter(op.filter)
        now = self._clock()
        vectors = self._vectors(tenant_id, ops)
        batch = _Batch()
        for index, op in enumerate(ops):
            if isinstance(op, GetItem):
                batch.results.append(self._get(tenant_id, agent_id, op, now, batch))
            elif isinstance(op, SearchItems):
                hits = self._search(tenant_id, agent_id, op, vectors.get(index), now)
                if op.refresh_ttl:
                    batch.refresh.update(((h.item.namespace, h.item.key), None) for h in hits)
                batch.results.append(hits)
            elif isinstance(op, ListNamespaces):
                batch.results.append(self._namespaces(tenant_id, agent_id, op, now))
            else:
                batch.results.append(None)
        writes = self._writes(ops, vectors)
        if writes or batch.refresh:
            self._store.apply(tenant_id, agent_id, writes, list(batch.refresh), now)
        return batch.results

    def _vectors(self, tenant_id: str, ops: list[ItemOp]) -> dict[Any, Any]:
        """Vectors of every query (by op index) and indexed field (by op index and field)."""
        wanted: list[tuple[Any, str]] = []
        for index, op in enumerate(ops):
            if isinstance(op, SearchItems) and op.query:
                wanted.append((index, op.query))
            elif isinstance(op, PutItem) and op.value is not None:
                wanted += [((index, name), text) for name, text in op.texts]
        if not wanted:
            return {}
        embedded = self._embed(tenant_id, [text for _, text in wanted])
        return {
            where: np.asarray(vector) for (where, _), vector in zip(wanted, embedded, strict=True)
        }

    def _get(
        self, tenant_id: str, agent_id: str, op: GetItem, now: float, batch: _Batch
    ) -> StoredItem | None:
        item = self._store.get(tenant_id, agent_id, [(op.namespace, op.key)], now).get(
            (op.namespace, op.key)
        )
        if item is not None and op.refresh_ttl:
            batch.refresh[(op.namespace, op.key)] = None
        return item

    def _search(
        self, tenant_id: str, agent_id: str, op: SearchItems, vector: Any, now: float
    ) -> list[Found]:
        prefix, wanted = op.namespace_prefix, op.offset + op.limit
        passing = (
            item
            for item in self._store.scan(tenant_id, agent_id, prefix, now)
            if value_matches(item.value, op.filter)
        )
        if vector is None:
            return [Found(item) for item in islice(passing, op.offset, wanted)]
        ranked = self._ranked(tenant_id, agent_id, op, vector, now, wanted)
        kept = ranked[op.offset : wanted]
        if len(kept) < op.limit:
            scoreless = (
                item
                for item in self._store.unindexed(tenant_id, agent_id, prefix, now)
                if value_matches(item.value, op.filter)
            )
            kept += [Found(item) for item in islice(scoreless, op.limit - len(kept))]
        return kept

    def _ranked(
        self,
        tenant_id: str,
        agent_id: str,
        op: SearchItems,
        vector: Any,
        now: float,
        wanted: int,
    ) -> list[Found]:
        """Items ranked by their best field, those the filter passes, at least ``wanted``
        of them when there are that many."""
        fetch = max(wanted, 1)
        while True:
            ranks = self._store.rank(tenant_id, agent_id, op.namespace_prefix, vector, now, fetch)
            items = self._store.get(tenant_id, agent_id, [(r.namespace, r.key) for r in ranks], now)
            found = [
                Found(items[(r.namespace, r.key)], r.score)
                for r in ranks
                if (r.namespace, r.key) in items
                and value_matches(items[(r.namespace, r.key)].value, op.filter)
            ]
            if len(found) >= wanted or len(ranks) < fetch:
                return found
            fetch *= 4

    def _namespaces(
        self, tenant_id: str, agent_id: str, op: ListNamespaces, now: float
    ) -> list[Namespace]:
        namespaces: Iterator[Namespace] | list[Namespace] = (
            ns
            for ns in self._store.namespaces(tenant_id, agent_id, now)
            if all(namespace_matches(ns, c.match_type, c.path) for c in op.conditions)
        )
        if op.max_depth is not None:
            namespaces = sorted({ns[: op.max_depth] for ns in namespaces})
        else:
            namespaces = sorted(namespaces)
        return namespaces[op.offset : op.offset + op.limit]

    @staticmethod
    def _writes(ops: list[ItemOp], vectors: dict[Any, Any]) -> list[ItemWrite]:
        """The batch's puts and deletes, the last of each item winning."""
        last: dict[tuple[Namespace, str], ItemWrite] = {}
        for index, op in enumerate(ops):
            if isinstance(op, PutItem):
                # A delete (no value) embeds nothing, whatever texts came with it.
                fields = (
                    tuple((name, vectors[(index, name)]) for name, _ in op.texts)
                    if op.value is not None
                    else ()
                )
                write = ItemWrite(op.namespace, op.key, op.value, fields, op.ttl_minutes)
                last[(op.namespace, op.key)] = write  # an item keeps its first place
        return list(last.values())
