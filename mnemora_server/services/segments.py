"""The cold tier's segments: episodes of one agent as one gzip-compressed NDJSON object.

A segment's object is written once and never changed (a changed segment is a new object), so
decoded segments can be cached by key without ever going stale.
"""

from __future__ import annotations

import gzip
import json
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mnemora_server.stores.base import Episode, Segment
from mnemora_server.stores.base.episodes import segment_key


def encode_segment(episodes: list[Episode]) -> bytes:
    """Episodes as gzip-compressed NDJSON."""
    lines = (json.dumps(_episode_dict(ep), separators=(",", ":")) for ep in episodes)
    return gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=6)


def decode_segment(data: bytes) -> list[Episode]:
    """The episodes of a segment."""
    episodes = []
    for line in gzip.decompress(data).decode().splitlines():
        if line.strip():
            raw = json.loads(line)
            episodes.append(Episode(**raw))
    return episodes


def _episode_dict(ep: Episode) -> dict[str, Any]:
    return {
        "id": ep.id,
        "agent_id": ep.agent_id,
        "session_id": ep.session_id,
        "type": ep.type,
        "content": ep.content,
        "metadata": ep.metadata,
        "timestamp": ep.timestamp,
        "ingested_at": ep.ingested_at,
    }


class SegmentCache:
    """Decoded segments by object key (immutable objects, so never stale)."""

    def __init__(self, capacity: int = 64) -> None:
        self._items: OrderedDict[str, list[Episode]] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, key: str, load: Callable[[], list[Episode]]) -> list[Episode]:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        episodes = load()
        with self._lock:
            self._items[key] = episodes
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)
        return episodes


def build_segment(tenant_id: str, agent_id: str, episodes: list[Episode]) -> tuple[Segment, bytes]:
    """A new segment holding ``episodes`` (oldest first) and its object's bytes."""
    first = episodes[0].timestamp
    day = datetime.fromtimestamp(first, UTC).strftime("%Y-%m-%d")
    segment_id = f"seg_{int(first * 1_000_000):014x}{uuid.uuid4().hex[:8]}"
    segment = Segment(
        segment_id=segment_id,
        agent_id=agent_id,
        key=segment_key(tenant_id, agent_id, day, segment_id),
        count=len(episodes),
        bytes=sum(e.stored_bytes for e in episodes),
        min_ts=min(e.timestamp for e in episodes),
        max_ts=max(e.timestamp for e in episodes),
        sessions=tuple(sorted({e.session_id for e in episodes})),
    )
    return segment, encode_segment(episodes)
