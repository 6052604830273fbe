"""Items of an agent's long-term store (LangGraph's ``BaseStore``): records and the protocol.

An item is a JSON object under a *namespace* (a path of labels, stored joined by ``.``, which
labels cannot contain) and a key. Some of its text may be indexed: each indexed field has a
vector, and a search by meaning scores an item by its best field. Items may expire (a TTL in
minutes, refreshed when they are read if the reader asks). Listings run in the order a
namespace was created, then the order its items were first written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from mnemora_server.stores.base.common import Store

Namespace = tuple[str, ...]

SEPARATOR = "."
"""What joins a namespace's labels in storage (labels never contain it)."""


def join_namespace(namespace: Namespace) -> str:
    """A namespace as it is stored."""
    return SEPARATOR.join(namespace)


def split_namespace(stored: str) -> Namespace:
    """A stored namespace as its labels."""
    return tuple(stored.split(SEPARATOR)) if stored else ()


@dataclass(frozen=True)
class StoredItem:
    """One item.

    Attributes:
        namespace: Its labels.
        key: Its key within the namespace.
        value: The JSON object.
        created_at: When it was first written (epoch seconds).
        updated_at: When it was last written.
        expires_at: When it expires, or ``None``.
        ttl_minutes: Its time to live (each refresh moves ``expires_at``), or ``None``.
    """

    namespace: Namespace
    key: str
    value: dict[str, Any]
    created_at: float
    updated_at: float
    expires_at: float | None = None
    ttl_minutes: float | None = None


@dataclass(frozen=True)
class ItemWrite:
    """A put (``value`` set) or a delete (``value`` is ``None``) of one item.

    Attributes:
        namespace: The item's namespace.
        key: Its key.
        value: The new value, or ``None`` to delete it.
        vectors: ``(field, vector)`` of each indexed field (replacing the item's old ones).
        ttl_minutes: Its time to live, or ``None`` for none.
        created_at: The creation time to keep (imports); ``None``: now, or the item's own.
    """

    namespace: Namespace
    key: str
    value: dict[str, Any] | None
    vectors: tuple[tuple[str, Any], ...] = ()
    ttl_minutes: float | None = None
    created_at: float | None = None


@dataclass(frozen=True)
class RankedItem:
    """An item's place in a search by meaning.

    Attributes:
        namespace: Its namespace.
        key: Its key.
        score: The cosine similarity of its best indexed field to the query.
    """

    namespace: Namespace
    key: str
    score: float


@dataclass(frozen=True)
class ItemTotals:
    """A tenant's item totals.

    Attributes:
        items: Live items.
        bytes: Bytes of their values.
        vectors: Indexed fields.
    """

    items: int = 0
    bytes: int = 0
    vectors: int = 0


class ItemStore(Store, Protocol):
    """Namespaced JSON items with optional vectors, per tenant and agent."""

    dimension: int

    def get(
        self, tenant_id: str, agent_id: str, items: list[tuple[Namespace, str]], now: float
    ) -> dict[tuple[Namespace, str], StoredItem]:
        """The live items among ``(namespace, key)`` pairs."""

    def scan(
        self, tenant_id: str, agent_id: str, prefix: Namespace, now: float
    ) -> Iterator[StoredItem]:
        """Live items whose namespace starts with ``prefix`` (whole labels), in listing order."""

    def rank(
        self,
        tenant_id: str,
        agent_id: str,
        prefix: Namespace,
        vector: Any,
        now: float,
        limit: int,
    ) -> list[RankedItem]:
        """The ``limit`` live items under ``prefix`` whose best field is most similar to
        ``vector``, best first (items without vectors are not ranked)."""

    def unindexed(
        self, tenant_id: str, agent_id: str, prefix: Namespace, now: float
    ) -> Iterator[StoredItem]:
        """Live items under ``prefix`` without any vector, in listing order."""

    def namespaces(self, tenant_id: str, agent_id: str, now: float) -> list[Namespace]:
        """Every namespace holding a live item."""

    def apply(
        self,
        tenant_id: str,
        agent_id: str,
        writes: list[ItemWrite],
        refresh: list[tuple[Namespace, str]],
        now: float,
    ) -> None:
        """Apply puts and deletes and extend the TTL of ``refresh`` items, in one
        transaction; expired items of the agent are removed on the way."""

    def totals(self, tenant_id: str, now: float) -> ItemTotals:
        """The tenant's live totals."""

    def agent_counts(self, tenant_id: str, now: float) -> dict[str, int]:
        """Store items, per agent of the tenant (agents holding none left out)."""

    def export(
        self, tenant_id: str, agent_id: str | None
    ) -> Iterator[tuple[str, StoredItem, list[tuple[str, list[float]]]]]:
        """Every item of the tenant (or agent) with its vectors, as
        ``(agent_id, item, [(field, vector)])``, in listing order per agent."""

    def purge_agent(self, tenant_id: str, agent_id: str) -> int:
        """Remove every item of the agent; return items removed."""

    def purge_tenant(self, tenant_id: str) -> int:
        """Remove every item of the tenant; return items removed."""
