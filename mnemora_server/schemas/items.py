"""Bodies of the long-term store routes (LangGraph's ``BaseStore``): ``/v1/store``.

One request carries a batch of operations and answers one result per operation, in order.
Namespaces are lists of labels (no ``.``, which joins them in storage); keys are free text.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from mnemora_server.identifiers import AgentId
from mnemora_server.schemas.common import RequestModel
from mnemora_server.services.items import (
    Found,
    GetItem,
    ItemOp,
    ListNamespaces,
    MatchCondition,
    PutItem,
    SearchItems,
)
from mnemora_server.stores.base.items import StoredItem
from mnemora_server.timestamps import iso_time

Label = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^.\x00]+$")]
Key = Annotated[str, Field(max_length=1024, pattern=r"^[^\x00]*$")]
NamespaceIn = Annotated[list[Label], Field(min_length=1, max_length=32)]
PrefixIn = Annotated[list[Label], Field(max_length=32)]


class GetOp(BaseModel):
    """Read one item."""

    op: Literal["get"]
    namespace: NamespaceIn
    key: Key
    refresh_ttl: bool = True

    def to_op(self) -> ItemOp:
        """The service's operation."""
        return GetItem(tuple(self.namespace), self.key, self.refresh_ttl)


class SearchOp(BaseModel):
    """Items under a namespace prefix, filtered, ranked by ``query`` when one is given."""

    op: Literal["search"]
    namespace_prefix: PrefixIn = Field(default_factory=list)
    filter: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=0, le=1000)
    offset: int = Field(default=0, ge=0)
    query: Annotated[str, Field(max_length=10_000)] | None = None
    refresh_ttl: bool = True

    def to_op(self) -> ItemOp:
        """The service's operation."""
        return SearchItems(
            tuple(self.namespace_prefix),
            self.filter,
            self.limit,
            self.offset,
            self.query,
            self.refresh_ttl,
        )


class IndexedText(BaseModel):
    """A field of an item to index, and its text."""

    field: Annotated[str, Field(min_length=1, max_length=512)]
    text: Annotated[str, Field(max_length=100_000)]


class PutOp(BaseModel):
    """Write an item, or delete it (``value`` null)."""

    op: Literal["put"]
    namespace: NamespaceIn
    key: Key
    value: dict[str, Any] | None
    index: list[IndexedText] = Field(default_factory=list, max_length=64)
    ttl: float | None = Field(default=None, ge=0, description="Minutes to live; null: forever.")

    def to_op(self) -> ItemOp:
        """The service's operation."""
        texts = tuple((t.field, t.text) for t in self.index)
        return PutItem(tuple(self.namespace), self.key, self.value, texts, self.ttl)


class MatchConditionIn(BaseModel):
    """A namespace must start or end with ``path`` (``*`` matches any label)."""

    match_type: Literal["prefix", "suffix"]
    path: PrefixIn


class ListNamespacesOp(BaseModel):
    """Namespaces holding items."""

    op: Literal["list_namespaces"]
    match_conditions: list[MatchConditionIn] = Field(default_factory=list, max_length=16)
    max_depth: int | None = Field(default=None, ge=1)
    limit: int = Field(default=100, ge=0, le=10_000)
    offset: int = Field(default=0, ge=0)

    def to_op(self) -> ItemOp:
        """The service's operation."""
        conditions = tuple(
            MatchCondition(c.match_type, tuple(c.path)) for c in self.match_conditions
        )
        return ListNamespaces(conditions, self.max_depth, self.limit, self.offset)


Op = Annotated[GetOp | SearchOp | PutOp | ListNamespacesOp, Field(discriminator="op")]


class StoreBatch(RequestModel):
    """``POST /v1/store/batch`` (any operations) or ``/v1/store/read`` (no puts)."""

    agent_id: AgentId
    ops: list[Op] = Field(min_length=1, max_length=1000)


class ItemOut(BaseModel):
    """An item (with ``score`` when a query ranked it)."""

    namespace: list[str]
    key: str
    value: dict[str, Any]
    created_at: str
    updated_at: str
    expires_at: str | None = None
    score: float | None = None

    @classmethod
    def of(cls, item: StoredItem, score: float | None = None) -> ItemOut:
        """The wire form of a stored item."""
        return cls(
            namespace=list(item.namespace),
            key=item.key,
            value=item.value,
            created_at=iso_time(item.created_at) or "",
            updated_at=iso_time(item.updated_at) or "",
            expires_at=iso_time(item.expires_at),
            score=score,
        )


def result_out(result: Any) -> Any:
    """The wire form of one operation's result."""
    if isinstance(result, StoredItem):
        return ItemOut.of(result).model_dump(mode="json", exclude={"score"})
    if isinstance(result, list) and result and isinstance(result[0], Found):
        return [ItemOut.of(f.item, f.score).model_dump(mode="json") for f in result]
    if isinstance(result, list):
        return [list(ns) for ns in result]
    return None


class StoreResults(BaseModel):
    """One result per operation: an item or null (get), items (search), null (put),
    namespaces (list_namespaces)."""

    results: list[Any]
