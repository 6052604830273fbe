"""``MnemoraStore``: LangGraph's long-term store on Mnemora, one tenant key and agent per store."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from langgraph.store.base import (
    BaseStore,
    GetOp,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
    TTLConfig,
    get_text_at_path,
    tokenize_path,
    validate_op_namespace,
)

from mnemora import MnemoraClient, MnemoraSync
from mnemora.models import StoreItem
from mnemora_integrations._clients import HoldsClients, MnemoraClients

_WHOLE_VALUE = "$"


class MnemoraStore(HoldsClients, BaseStore):
    """LangGraph's long-term store (``create_agent(store=...)``, ``runtime.store``) on Mnemora.

    Bound to one tenant key and one ``agent_id`` for its life: namespaces live inside that
    agent, so two customers' stores never meet, whatever namespaces they use. It behaves
    like LangGraph's ``InMemoryStore``: the same filters, the same order, the same batch
    semantics; every ``batch`` is one HTTP request. Search by meaning works out of the box:
    each item's whole value (``"$"``) is embedded by the server unless ``index`` names other
    fields (``["text", "tags[*]"]``), and ``put(..., index=False)`` skips an item. TTLs
    (minutes) are kept by the server and refreshed on reads as ``ttl`` configures.

    Args:
        agent_id: The agent whose store this is.
        api_key: The customer's key (default: ``MNEMORA_API_KEY``).
        base_url: The server (default: ``MNEMORA_API_URL``).
        client: An SDK client to use instead of ``api_key``/``base_url``.
        index: ``{"fields": [...]}``: the paths embedded by default (``["$"]``), or
            ``False`` to index nothing unless a ``put`` names paths. The server's model
            embeds; ``dims`` and ``embed`` are not taken.
        ttl: LangGraph's ``TTLConfig``: ``default_ttl`` (minutes) for puts that name none,
            ``refresh_on_read`` (default true).

    Example:
        ```python
        from mnemora_integrations.langgraph import MnemoraStore

        with MnemoraStore(agent_id="support-agent", api_key=customer_key) as store:
            store.put(("customer", "prefs"), "language", {"text": "prefers French"})
            hits = store.search(("customer",), query="which language?")
            print(hits[0].value["text"])  # prefers French
        ```
    """

    supports_ttl: bool = True
    __slots__ = ("_clients", "_fields", "agent_id", "ttl_config")

    def __init__(
        self,
        *,
        agent_id: str,
        api_key: str | None = None,
        base_url: str | None = None,
        client: MnemoraSync | MnemoraClient | None = None,
        index: dict[str, Any] | bool | None = None,
        ttl: TTLConfig | None = None,
    ) -> None:
        if isinstance(index, dict) and ("embed" in index or "dims" in index):
            raise ValueError(
                "MnemoraStore embeds with the server's model: pass index={'fields': [...]} "
                "without 'embed' or 'dims'"
            )
        self.agent_id = agent_id
        self.ttl_config = ttl
        self._clients = MnemoraClients(api_key=api_key, base_url=base_url, client=client)
        if index is False:
            self._fields: list[str] = []
        elif isinstance(index, dict):
            self._fields = list(index.get("fields") or [_WHOLE_VALUE])
        else:
            self._fields = [_WHOLE_VALUE]

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run operations in one request; results line up with ``ops``."""
        listed = list(ops)
        wire = self._wire(listed)
        return self._results(listed, self._clients.sync.store_batch(self.agent_id, wire))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """Run operations in one request; results line up with ``ops``."""
        listed = list(ops)
        wire = self._wire(listed)
        return self._results(listed, await self._clients.aio.store_batch(self.agent_id, wire))

    # -- conversions -------------------------------------------------------------------------

    def _wire(self, ops: list[Op]) -> list[dict[str, Any]]:
        wire: list[dict[str, Any]] = []
        for op in ops:
            validate_op_namespace(op)
            if isinstance(op, GetOp):
                wire.append(
                    {
                        "op": "get",
                        "namespace": list(op.namespace),
                        "key": op.key,
                        "refresh_ttl": op.refresh_ttl,
                    }
                )
            elif isinstance(op, SearchOp):
                wire.append(
                    {
                        "op": "search",
                        "namespace_prefix": list(op.namespace_prefix),
                        "filter": op.filter,
                        "limit": op.limit,
                        "offset": op.offset,
                        "query": op.query,
                        "refresh_ttl": op.refresh_ttl,
                    }
                )
            elif isinstance(op, PutOp):
                wire.append(self._put(op))
            elif isinstance(op, ListNamespacesOp):
                wire.append(
                    {
                        "op": "list_namespaces",
                        "match_conditions": [
                            {"match_type": c.match_type, "path": list(c.path)}
                            for c in op.match_conditions or ()
                        ],
                        "max_depth": op.max_depth,
                        "limit": op.limit,
                        "offset": op.offset,
                    }
                )
            else:
                raise ValueError(f"unknown store operation: {type(op).__name__}")
        return wire

    def _put(self, op: PutOp) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "op": "put",
            "namespace": list(op.namespace),
            "key": op.key,
            "value": None if op.value is None else dict(op.value),
            "ttl": op.ttl,
        }
        if op.value is not None and op.index is not False:
            paths = self._fields if op.index is None else list(op.index)
            wire["index"] = [
                {"field": name, "text": text} for name, text in _texts(dict(op.value), paths)
            ]
        return wire

    @staticmethod
    def _results(ops: list[Op], results: list[Any]) -> list[Result]:
        out: list[Result] = []
        for op, result in zip(ops, results, strict=True):
            if isinstance(op, GetOp):
                out.append(None if result is None else _item(result))
            elif isinstance(op, SearchOp):
                out.append([_search_item(found) for found in result])
            elif isinstance(op, ListNamespacesOp):
                out.append([tuple(ns) for ns in result])
            else:
                out.append(None)
        return out


def _texts(value: dict[str, Any], paths: list[str]) -> list[tuple[str, str]]:
    """The texts of ``value`` at ``paths``, named as LangGraph names them (a path that gives
    several texts names each ``path.i``)."""
    named: list[tuple[str, str]] = []
    for path in paths:
        texts = get_text_at_path(value, path if path == _WHOLE_VALUE else tokenize_path(path))
        if len(texts) == 1:
            named.append((path, texts[0]))
        else:
            named += [(f"{path}.{i}", text) for i, text in enumerate(texts)]
    return named


def _item(found: StoreItem) -> Item:
    return Item(
        value=found.value,
        key=found.key,
        namespace=tuple(found.namespace),
        created_at=datetime.fromisoformat(found.created_at),
        updated_at=datetime.fromisoformat(found.updated_at),
    )


def _search_item(found: StoreItem) -> SearchItem:
    return SearchItem(
        namespace=tuple(found.namespace),
        key=found.key,
        value=found.value,
        created_at=datetime.fromisoformat(found.created_at),
        updated_at=datetime.fromisoformat(found.updated_at),
        score=found.score,
    )
