"""An agent's long-term store: JSON items under namespaces, searched by filter or by meaning.

:meth:`store_batch` runs any mix of operations in one request (what LangGraph's ``BaseStore``
does); the other methods are one operation each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mnemora._api.descriptors import api_method
from mnemora._core import Call, Plan
from mnemora.models import StoreItem

Op = dict[str, Any]
"""One operation: ``{"op": "get" | "search" | "put" | "list_namespaces", ...}``."""


def _result(op: Op, result: Any) -> Any:
    kind = op.get("op")
    if kind == "get":
        return None if result is None else StoreItem.model_validate(result)
    if kind == "search":
        return [StoreItem.model_validate(item) for item in result]
    if kind == "list_namespaces":
        return [tuple(ns) for ns in result]
    return None


class StoreApi:
    """Long-term store methods of both clients."""

    @api_method
    def store_batch(self, agent_id: str, ops: Sequence[Op]) -> Plan[list[Any]]:
        """Run store operations in one request; one result per operation, in order.

        Reads see the store as it was before the batch; then every put applies, the last one
        of each item winning. A batch without puts may use a read-only key.

        Args:
            agent_id: The agent whose store it is.
            ops: Each one of
                ``{"op": "get", "namespace": [...], "key": k, "refresh_ttl": True}``,
                ``{"op": "search", "namespace_prefix": [...], "filter": {...}, "query": q,
                "limit": 10, "offset": 0, "refresh_ttl": True}``,
                ``{"op": "put", "namespace": [...], "key": k, "value": {...} or None,
                "index": [{"field": f, "text": t}], "ttl": minutes}``,
                ``{"op": "list_namespaces", "match_conditions": [{"match_type": "prefix",
                "path": [...]}], "max_depth": d, "limit": 100, "offset": 0}``.

        Returns:
            A :class:`~mnemora.models.StoreItem` or ``None`` per get, a list of them per
            search, ``None`` per put, a list of namespace tuples per list_namespaces.
        """
        writes = any(op.get("op") == "put" for op in ops)
        path = "/v1/store/batch" if writes else "/v1/store/read"
        result = yield Call(
            "POST", path, json={"agent_id": agent_id, "ops": list(ops)}, write=writes
        )
        return [_result(op, r) for op, r in zip(ops, result["results"], strict=True)]

    @api_method
    def put_item(
        self,
        agent_id: str,
        namespace: Sequence[str],
        key: str,
        value: dict[str, Any] | None,
        *,
        index: Sequence[tuple[str, str]] = (),
        ttl_minutes: float | None = None,
    ) -> Plan[None]:
        """Write an item (``value`` ``None`` deletes it).

        Args:
            agent_id: The agent.
            namespace: Its namespace, e.g. ``("users", "u1")``.
            key: Its key.
            value: The JSON object.
            index: ``(field, text)`` pairs to make searchable by meaning.
            ttl_minutes: Time to live (each refreshing read moves the expiry).
        """
        op: Op = {"op": "put", "namespace": list(namespace), "key": key, "value": value}
        op["index"] = [{"field": field, "text": text} for field, text in index]
        if ttl_minutes is not None:
            op["ttl"] = ttl_minutes
        yield Call("POST", "/v1/store/batch", json={"agent_id": agent_id, "ops": [op]})

    @api_method
    def get_item(
        self, agent_id: str, namespace: Sequence[str], key: str, *, refresh_ttl: bool = True
    ) -> Plan[StoreItem | None]:
        """An item, or ``None``."""
        op = {"op": "get", "namespace": list(namespace), "key": key, "refresh_ttl": refresh_ttl}
        result = yield Call(
            "POST", "/v1/store/read", json={"agent_id": agent_id, "ops": [op]}, write=False
        )
        return _result(op, result["results"][0])  # type: ignore[no-any-return]

    @api_method
    def search_items(
        self,
        agent_id: str,
        namespace_prefix: Sequence[str] = (),
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool = True,
    ) -> Plan[list[StoreItem]]:
        """Items under a namespace prefix whose value passes ``filter``; ranked by meaning
        when a ``query`` is given (``score`` set), else in the order they were written."""
        op: Op = {
            "op": "search",
            "namespace_prefix": list(namespace_prefix),
            "filter": filter,
            "query": query,
            "limit": limit,
            "offset": offset,
            "refresh_ttl": refresh_ttl,
        }
        result = yield Call(
            "POST", "/v1/store/read", json={"agent_id": agent_id, "ops": [op]}, write=False
        )
        return _result(op, result["results"][0])  # type: ignore[no-any-return]
