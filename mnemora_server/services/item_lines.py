"""Long-term store items as lines of an export, and back.

An ``item`` line holds one live item with its indexed fields' vectors, so an import restores
search by meaning without embedding again. An item the tenant already holds is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mnemora_server.errors import ValidationError
from mnemora_server.identifiers import check_identifier
from mnemora_server.stores.base.items import ItemStore, ItemWrite


def export_lines(
    store: ItemStore, tenant_id: str, agent_id: str | None, now: float
) -> Iterator[dict[str, Any]]:
    """One line per live item of the tenant (or agent)."""
    for owner, item, vectors in store.export(tenant_id, agent_id):
        if item.expires_at is not None and item.expires_at <= now:
            continue
        yield {
            "kind": "item",
            "agent_id": owner,
            "namespace": list(item.namespace),
            "key": item.key,
            "value": item.value,
            "created_at": item.created_at,
            "updated_at": item.updated_at,
            "ttl_minutes": item.ttl_minutes,
            "vectors": [{"field": name, "embedding": vector} for name, vector in vectors],
        }


def parse_line(item: dict[str, Any], dimension: int) -> tuple[str, ItemWrite]:
    """The agent and the write of an ``item`` line.

    Raises:
        ValidationError: The line is malformed.
        KeyError: A field is missing.
    """
    namespace = item["namespace"]
    if not (isinstance(namespace, list) and namespace) or not all(
        isinstance(label, str) and label and "." not in label for label in namespace
    ):
        raise ValidationError("namespace must be a non-empty list of labels without '.'")
    if not isinstance(item["value"], dict):
        raise ValidationError("value must be an object")
    vectors = []
    for entry in item.get("vectors") or []:
        embedding = entry["embedding"]
        if not isinstance(embedding, list) or len(embedding) != dimension:
            raise ValidationError(f"an item vector must have {dimension} numbers")
        vectors.append((str(entry["field"]), [float(x) for x in embedding]))
    ttl = item.get("ttl_minutes")
    write = ItemWrite(
        namespace=tuple(namespace),
        key=str(item["key"]),
        value=item["value"],
        vectors=tuple(vectors),
        ttl_minutes=None if ttl is None else float(ttl),
        created_at=float(item["created_at"]),
    )
    return check_identifier(item["agent_id"], "agent_id", agent=True), write


def restore(store: ItemStore, tenant_id: str, agent_id: str, write: ItemWrite, now: float) -> bool:
    """Store an exported item unless the tenant holds it; ``False`` if it did."""
    if store.get(tenant_id, agent_id, [(write.namespace, write.key)], now):
        return False
    store.apply(tenant_id, agent_id, [write], [], now)
    return True
