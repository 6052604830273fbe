"""Write batches stay within the server's limits: 500 items, and bodies under 1 MiB."""

from __future__ import annotations

import json

from mnemora_integrations._batches import BATCH_BYTES, batches, write_batches


def test_batches_by_count() -> None:
    assert batches(list(range(1001))) == [
        list(range(500)),
        list(range(500, 1000)),
        [1000],
    ]
    assert batches([]) == []


def test_write_batches_by_count_and_bytes() -> None:
    small = [{"content": "x"} for _ in range(1200)]
    assert [len(p) for p in write_batches(small)] == [500, 500, 200]
    large = [{"content": "y" * 100_000, "i": i} for i in range(25)]
    parts = write_batches(large, max_text=10**9)
    assert [item["i"] for part in parts for item in part] == list(range(25)), "order kept"
    assert all(len(json.dumps(part)) <= BATCH_BYTES + 1000 for part in parts)
    assert [len(p) for p in parts] == [8, 8, 8, 1]
    huge = [{"content": "z" * 2_000_000}, {"content": "a"}]
    assert [len(p) for p in write_batches(huge)] == [1, 1], "an oversized item goes alone"


def test_write_batches_by_text_to_embed() -> None:
    texts = [{"content": "w" * 2000} for _ in range(250)]
    assert [len(p) for p in write_batches(texts)] == [100, 100, 50]
    embedded = [{"content": "w" * 2000, "embedding": [0.0]} for _ in range(250)]
    assert [len(p) for p in write_batches(embedded)] == [250], "client vectors embed nothing"
    episodes = [{"content": {"text": "w" * 2000}} for _ in range(250)]
    assert [len(p) for p in write_batches(episodes)] == [250], "episodes are not embedded"
