"""Requests the server takes: at most 500 items, bodies under its 1 MiB limit, and no more
text to embed than it embeds well within a client's timeout."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

BATCH_SIZE = 500
"""The most items (memories, ids, episodes) one request carries."""

BATCH_BYTES = 900_000
"""The most JSON bytes of items one write request carries (the server takes 1 MiB bodies)."""

BATCH_TEXT = 200_000
"""The most characters one write asks the server to embed: about 7 s on two CPU cores with
the default model, well within the SDK's 30 s timeout."""


def batches(items: Sequence[T], size: int = BATCH_SIZE) -> list[list[T]]:
    """``items`` cut into consecutive lists of at most ``size``."""
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def write_batches(
    items: Sequence[dict[str, Any]],
    size: int = BATCH_SIZE,
    max_bytes: int = BATCH_BYTES,
    max_text: int = BATCH_TEXT,
) -> list[list[dict[str, Any]]]:
    """JSON ``items`` cut into consecutive lists of at most ``size`` items, about
    ``max_bytes`` bytes and ``max_text`` characters of text for the server to embed (an
    item's ``content`` when it is a string and the item brings no ``embedding``). An item
    over a limit on its own goes alone, for the server to judge."""
    parts: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    used_bytes = used_text = 0
    for item in items:
        weight = len(json.dumps(item, separators=(",", ":"))) + 1
        content = item.get("content")
        text = len(content) if isinstance(content, str) and "embedding" not in item else 0
        if current and (
            len(current) == size or used_bytes + weight > max_bytes or used_text + text > max_text
        ):
            parts.append(current)
            current, used_bytes, used_text = [], 0, 0
        current.append(item)
        used_bytes += weight
        used_text += text
    if current:
        parts.append(current)
    return parts
