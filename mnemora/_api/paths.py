"""Request helpers shared by the API modules: path segments, optional fields, listings."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from mnemora._core import Call, Plan


def every_item(path: str, key: str, page_size: int) -> Plan[list[Any]]:
    """Steps that follow a listing's cursors to the end and return every item."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        result = yield Call("GET", path, params={"limit": page_size, "cursor": cursor})
        items.extend(result[key])
        cursor = result.get("next_cursor")
        if not cursor:
            return items


def put_optional(body: dict[str, Any], **optional: Any) -> None:
    """Add the optional fields that were given."""
    body.update({k: v for k, v in optional.items() if v is not None})


def segment(value: str) -> str:
    """Quote one path segment, so an id can never change the route it is sent to."""
    return quote(value, safe="")
