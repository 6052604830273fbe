"""Requests the server takes: at most 500 items, and bodies under its 1 MiB limit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

T = TypeVar("T")

BATCH_SIZE = 500
"""The most items (memories, ids, episodes) one request carries."""

BATCH_BYTES = 900_000
"""The most JSON bytes of items one write request carries (the server takes 1 MiB bodies)."""


def batches(items: Sequence[T], size: int = BATCH_SIZE) -> list[list[T]]:
    """``items`` cut into consecutive lists of at most ``size``."""
    return [list(items[start : start + size]) for start in range(0, len(items), size)]


def write_batches(
    items: Sequence[dict[str, Any]], size: int = BATCH_SIZE, max_bytes: int = BATCH_BYTES
) -> list[list[dict[str, Any]]]:
    """JSON ``items`` cut into consecutive lists of at most ``size`` items and about
    ``max_bytes`` bytes (an item larger than that goes alone, for the server to judge)."""
    parts: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    used = 0
    for item in items:
        weight = len(json.dumps(item, separators=(",", ":"))) + 1
        if current and (len(current) == size or used + weight > max_bytes):
            parts.append(current)
            current, used = [], 0
        current.append(item)
        used += weight
    if current:
        parts.append(current)
    return parts
