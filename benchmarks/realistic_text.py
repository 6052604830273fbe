"""The realistic-text case of ``benchmarks.memory_http``: search and writes over HTTP beside
the query embedding alone.

Agents ``notes-<N>`` hold N support notes and conversational turns written from a shared
vocabulary (``benchmarks.hybrid_latency.note``: "Customer note 12: order 84 was shipped to
city 12 with carrier 2.", "Maria asked whether the premium plan includes refunds."), embedded
by the server's model and written straight into the stores before the server starts. Then,
over HTTP, for each size: the same questions in every search mode; a single memory stored
(embedding, duplicate check, metering, commit); batches of 100 stored. Beside each, the
benchmark process embeds the same texts with the same model (the server's processes are idle
meanwhile): the "embedding alone" column that the targets are stated against (hybrid search
and a single write: embedding + 3 ms at p50; batch ingest: 80% of the embedder's batch rate).
Each row also gives the server's own time (``meta.latency_ms``), without the HTTP transport.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from benchmarks.hybrid_latency import note, question
from mnemora_server.embeddings.base import Embedder
from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.settings import Settings
from mnemora_server.stores.base import SemanticDraft
from mnemora_server.stores.registry import open_stores

SIZES = (2_000, 10_000, 100_000)
QUICK_SIZES = (2_000, 5_000)
QUERIES = 100
BATCH = 100


def load(data_dir: Path, sizes: tuple[int, ...], embedder: Embedder) -> None:
    """Write the agents' notes, embedded, straight into the stores (set-up, not measured)."""
    stores = open_stores(Settings(data_dir=data_dir), dimension=embedder.dimension)
    stores.setup()
    now = time.time()
    for size in sizes:
        rng = random.Random(size)
        for first in range(0, size, 1000):
            texts = [note(rng, first + i) for i in range(min(1000, size - first))]
            drafts = [
                SemanticDraft(f"notes-{size}", "default", text, {}, vector, dedup=False)
                for text, vector in zip(texts, embedder.embed(texts), strict=True)
            ]
            stores.semantic.write("bench", drafts, now, SemanticWriteRules(max_vectors=None))
        print(f"  loaded {size} realistic notes", file=sys.stderr, flush=True)
    stores.close()


def _p50(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def _side_by_side(
    texts: list[str], alone: Callable[[str], Any], measured: Callable[[str], float]
) -> tuple[float, float, float]:
    """p50 of ``alone`` and of ``measured`` over the same texts, taken in turn, and the p50
    of the server's own time for ``measured`` (what ``measured`` returns, in ms)."""
    alone_samples, measured_samples, server_ms = [], [], []
    for text in texts:
        started = time.perf_counter()
        alone(text)
        alone_samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        server_ms.append(measured(text))
        measured_samples.append(time.perf_counter() - started)
    return _p50(alone_samples), _p50(measured_samples), round(statistics.median(server_ms), 2)


def cases(client: httpx.Client, sizes: tuple[int, ...], embedder: Embedder) -> list[dict[str, Any]]:
    """Every realistic-text case over ``client`` (a tenant's key), one row each."""
    rng = random.Random(5)
    return [row for size in sizes for row in _cases_at(client, size, embedder, rng)]


def _cases_at(
    client: httpx.Client, size: int, embedder: Embedder, rng: random.Random
) -> list[dict[str, Any]]:
    agent = f"notes-{size}"
    rows: list[dict[str, Any]] = []

    def embed(text: str) -> Any:
        return embedder.embed([text])

    def search(query: str, mode: str) -> float:
        response = client.post(
            "/v1/memory/semantic/search",
            json={"query": query, "agent_id": agent, "top_k": 10, "mode": mode},
        )
        assert response.status_code == 200, response.text
        return float(response.json()["meta"]["latency_ms"])

    def store(text: str) -> float:
        response = client.post("/v1/memory/semantic", json={"agent_id": agent, "content": text})
        assert response.status_code in (200, 201), response.text  # 200: merged
        return float(response.json()["meta"]["latency_ms"])

    queries = [question(rng) for _ in range(QUERIES)]
    for mode in ("vector", "keyword", "hybrid"):
        for warm in queries[:6]:  # each worker loads the model and the partition
            search(warm, mode)
        alone, p50, server = _side_by_side(queries, embed, lambda q, m=mode: search(q, m))
        rows.append(
            {
                "case": f"realistic text: search {mode}, {size} memories in the agent",
                "p50_ms": p50,
                "server_p50_ms": server,
                "embedding_alone_p50_ms": alone,
                "minus_embedding_ms": round(p50 - alone, 2),
            }
        )
    texts = [note(rng, size + i) + f" (follow-up {i})" for i in range(QUERIES)]
    alone, p50, server = _side_by_side(texts, embed, store)
    rows.append(
        {
            "case": f"realistic text: store one memory (dedup on), {size} in the agent",
            "p50_ms": p50,
            "server_p50_ms": server,
            "embedding_alone_p50_ms": alone,
            "minus_embedding_ms": round(p50 - alone, 2),
        }
    )
    embed_time = ingest_time = 0.0
    for b in range(5):
        batch = [note(rng, size + i) + f" (batch {b}, item {i})" for i in range(BATCH)]
        started = time.perf_counter()
        embedder.embed(batch)
        embed_time += time.perf_counter() - started
        started = time.perf_counter()
        response = client.post(
            "/v1/memory/semantic/batch",
            json={"agent_id": agent, "items": [{"content": text} for text in batch]},
        )
        ingest_time += time.perf_counter() - started
        assert response.status_code in (200, 201), response.text  # 200: merged
    rows.append(
        {
            "case": f"realistic text: batch ingest (100, dedup on), {size} in the agent",
            "memories_per_s": round(5 * BATCH / ingest_time, 1),
            "embedder_alone_per_s": round(5 * BATCH / embed_time, 1),
            "share_of_embedder": round(embed_time / ingest_time, 2),
        }
    )
    return rows
