"""Semantic and episodic memory on the embedded default, measured over HTTP.

Cases (each prints p50/p99 or a rate):
- semantic store latency (server-side embedding), one client;
- batch ingest rate (``/v1/memory/semantic/batch``, server-side embedding);
- search latency at 1K, 10K and 100K memories in one agent, including the query embedding,
  in ``vector`` and ``hybrid`` mode;
- episode append and list latency with 1M episodes in the tenant;
- purge time for an agent with 100K memories and 100K episodes.

Bulk data for the large cases is written straight into the stores (random unit vectors and
synthetic sentences) before the server starts; every measured operation goes over HTTP.

Run: ``make bench-memory`` or ``python -m benchmarks.memory_http [--quick]``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks import realistic_text
from benchmarks.state_http import ADMIN, _start_server
from mnemora_server.embeddings.registry import build_embedder
from mnemora_server.services.semantic_writes import SemanticWriteRules
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Episode, SemanticDraft
from mnemora_server.stores.registry import open_stores

TOPICS = [
    "customer",
    "order",
    "refund",
    "invoice",
    "password",
    "account",
    "billing",
    "shipping",
    "parcel",
    "delivery",
    "support",
    "ticket",
    "agent",
    "product",
    "feature",
    "release",
    "mobile",
    "export",
    "report",
    "security",
    "login",
    "reset",
    "settings",
    "team",
    "plan",
    "upgrade",
    "discount",
    "coupon",
    "warranty",
    "return",
    "payment",
    "card",
    "subscription",
    "renewal",
    "cancel",
    "trial",
]


def _vocabulary() -> tuple[list[str], list[float]]:
    """Real English words (the model's whole-word vocabulary) with Zipf frequencies, so
    sentences embed and tokenise like natural text and term statistics look natural."""
    vocab = Path(__file__).resolve().parents[2] / "shared/models/all-MiniLM-L6-v2/vocab.txt"
    words = [w for w in vocab.read_text().split() if w.isalpha() and w.isascii() and len(w) > 2]
    words = list(TOPICS) + [w for w in words if w not in TOPICS]
    random.Random(3).shuffle(words)
    cumulative = list(itertools.accumulate(1.0 / (rank + 1) for rank in range(len(words))))
    return words, cumulative


WORDS, CUMULATIVE_WEIGHTS = _vocabulary()


def sentence(rng: random.Random) -> str:
    """A synthetic sentence of 12 words drawn with Zipf frequencies."""
    return " ".join(rng.choices(WORDS, cum_weights=CUMULATIVE_WEIGHTS, k=12)) + "."


def print_table(rows: list[dict[str, Any]]) -> None:
    """The machine, then one Markdown row per case (``case`` first, then its figures)."""
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; server: gunicorn 2 workers x 8 threads, embedded "
        "default, all-MiniLM-L6-v2 (ONNX, CPU)\n"
    )
    print("| case | result |")
    print("|---|---|")
    for row in rows:
        figures = ", ".join(f"{k} {v}" for k, v in row.items() if k != "case")
        print(f"| {row['case']} | {figures} |")


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 2),
    }


def timed(count: int, fn: Callable[[int], Any]) -> list[float]:
    samples = []
    for i in range(count):
        started = time.perf_counter()
        fn(i)
        samples.append(time.perf_counter() - started)
    return samples


def bulk_load(data_dir: Path, sizes: dict[str, int], episodes: int, purge_agent: str) -> None:
    """Write bulk memories and episodes straight into the stores (setup, not measured)."""
    settings = Settings(data_dir=data_dir)
    stores = open_stores(settings, dimension=384)
    stores.setup()
    rng = random.Random(7)
    vectors = np.random.default_rng(7)
    now = time.time()
    for agent, count in sizes.items():
        done = 0
        while done < count:
            n = min(2000, count - done)
            matrix = vectors.standard_normal((n, 384)).astype(np.float32)
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
            drafts = [
                SemanticDraft(
                    agent_id=agent,
                    namespace="default",
                    content=sentence(rng),
                    metadata={"i": done + i},
                    embedding=matrix[i],
                    dedup=False,
                )
                for i in range(n)
            ]
            stores.semantic.write("bench", drafts, now, SemanticWriteRules(max_vectors=None))
            done += n
        print(f"  loaded {count} memories into {agent}", file=sys.stderr, flush=True)
    loaded = 0
    while loaded < episodes:
        n = min(20_000, episodes - loaded)
        batch = [
            Episode(
                id=f"ep_bulk_{loaded + i:09d}",
                agent_id=(purge_agent if (loaded + i) % 10 == 0 else f"agent-{(loaded + i) % 50}"),
                session_id=f"s{(loaded + i) % 1000}",
                type="conversation",
                content={"role": "user", "message": sentence(rng)},
                metadata={},
                timestamp=now - (episodes - loaded - i),
                ingested_at=now,
            )
            for i in range(n)
        ]
        stores.episodes.append("bench", batch)
        loaded += n
        if loaded % 200_000 == 0:
            print(f"  loaded {loaded} episodes", file=sys.stderr, flush=True)
    stores.close()


def screen_recall(data_dir: Path, agent: str, queries: int = 100) -> dict[str, Any]:
    """Recall@10 of the embedded store's vector search (int8 screen + exact ranking) against
    an exact float32 scan of the same agent, in process."""
    stores = open_stores(Settings(data_dir=data_dir), dimension=384)
    store = stores.semantic
    with store.db.read() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(
            "SELECT id, embedding FROM semantic WHERE tenant_id = 'bench' AND agent_id = ?",
            (agent,),
        ).fetchall()
    ids = [row[0] for row in rows]
    matrix = np.vstack([np.frombuffer(row[1], dtype=np.float32) for row in rows])
    rng = np.random.default_rng(17)
    recalls = []
    for _ in range(queries):
        query = rng.standard_normal(384).astype(np.float32)
        query /= np.linalg.norm(query)
        exact = {ids[i] for i in np.argsort(-(matrix @ query))[:10]}
        hits = store.search_vector(
            "bench", query, agent_id=agent, namespace=None, matches=None, limit=10, threshold=-1.0
        )
        recalls.append(len(exact & {h.record.id for h in hits}) / 10)
    stores.close()
    return {
        "case": f"vector search recall@10 vs exact scan, {len(ids)} memories ({queries} queries)",
        "mean": round(statistics.mean(recalls), 4),
        "min": min(recalls),
    }


def main() -> None:
    """Run every case and print JSON lines plus a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--port", type=int, default=18766)
    parser.add_argument(
        "--realistic-only", action="store_true", help="only the realistic-text case"
    )
    args = parser.parse_args()
    search_sizes = [500, 2_000, 5_000] if args.quick else [1_000, 10_000, 100_000]
    episodes_total = 20_000 if args.quick else 1_000_000
    sizes = {f"search-{n}": n for n in search_sizes} | {"purge-me": search_sizes[-1]}
    realistic_sizes = realistic_text.QUICK_SIZES if args.quick else realistic_text.SIZES
    os.environ.setdefault(
        "MNEMORA_EMBEDDING_MODEL_PATH",
        str(Path(__file__).resolve().parents[2] / "shared" / "models" / "all-MiniLM-L6-v2"),
    )
    embedder = build_embedder(Settings())
    embedder.load()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        if not args.realistic_only:
            bulk_load(data, sizes, episodes_total, "purge-me")
        realistic_text.load(data, realistic_sizes, embedder)
        print(f"  bulk load took {time.perf_counter() - started:.0f} s", file=sys.stderr)
        recall = None if args.realistic_only else screen_recall(data, f"search-{search_sizes[-1]}")
        server = _start_server(data, args.port, workers=2, threads=8)
        try:
            with tenant_client(args.port) as client:
                if not args.realistic_only:
                    rows = run_cases(client, sizes, episodes_total, args.quick)
                rows += realistic_text.cases(client, realistic_sizes, embedder)
        finally:
            server.terminate()
            server.wait()
    if recall is not None:
        rows.append(recall)
    for row in rows:
        print(json.dumps(row))
    print_table(rows)


@contextlib.contextmanager
def tenant_client(port: int) -> Iterator[httpx.Client]:
    """A client of the server at ``port`` holding a new key of the tenant ``bench``."""
    url = f"http://127.0.0.1:{port}"
    admin = {"Authorization": f"Bearer {ADMIN}"}
    limits = {
        "calls_per_day": 100_000_000,
        "burst_per_second": 1_000_000,
        "max_vectors": 10_000_000,
        "max_storage_bytes": 10**12,
    }
    httpx.post(
        url + "/v1/admin/tenants",
        headers=admin,
        json={"tenant_id": "bench", "tier": "scale", "limits": limits},
    )
    key = httpx.post(url + "/v1/admin/tenants/bench/keys", headers=admin, json={}).json()["data"][
        "api_key"
    ]
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=300
    ) as client:
        yield client


def run_cases(
    client: httpx.Client, sizes: dict[str, int], episodes_total: int, quick: bool
) -> list[dict[str, Any]]:
    rng = random.Random(11)
    rows: list[dict[str, Any]] = []
    client.post("/v1/memory/semantic", json={"agent_id": "warm", "content": "warm up"})
    samples = timed(
        200,
        lambda i: client.post(
            "/v1/memory/semantic",
            json={
                "agent_id": "store-latency",
                "content": sentence(rng) + f" #{i}",
                "dedup": True,
            },
        ),
    )
    rows.append({"case": "semantic store (1 client, embedding + dedup)", **percentiles(samples)})

    batches = 5 if quick else 20
    started = time.perf_counter()
    for b in range(batches):
        items = [
            {"content": sentence(rng) + f" batch {b} item {i}", "dedup": False} for i in range(100)
        ]
        r = client.post("/v1/memory/semantic/batch", json={"agent_id": "ingest", "items": items})
        assert r.status_code == 201, r.text
    rate = batches * 100 / (time.perf_counter() - started)
    rows.append(
        {
            "case": "batch ingest (100 per request, server-side embedding)",
            "memories_per_s": round(rate, 1),
        }
    )

    for agent, count in sizes.items():
        if not agent.startswith("search-"):
            continue
        for mode in ("vector", "hybrid"):
            body = {
                "query": "how do I get a refund for my order",
                "agent_id": agent,
                "top_k": 10,
                "mode": mode,
            }
            for _ in range(6):  # every worker process loads the model and the partition
                client.post("/v1/memory/semantic/search", json=body)
            samples = timed(
                100,
                lambda i, body=body: client.post(
                    "/v1/memory/semantic/search",
                    json={**body, "query": f"{body['query']} {rng.choice(TOPICS)} {i}"},
                ),
            )
            rows.append(
                {
                    "case": f"search {mode}, {count} memories in the agent",
                    **percentiles(samples),
                }
            )

    samples = timed(
        500,
        lambda i: client.post(
            "/v1/memory/episodic",
            json={
                "agent_id": "agent-1",
                "session_id": "live",
                "type": "conversation",
                "content": {"role": "user", "message": sentence(rng)},
            },
        ),
    )
    rows.append(
        {
            "case": f"episode append ({episodes_total} episodes in the tenant)",
            **percentiles(samples),
        }
    )
    samples = timed(200, lambda i: client.get("/v1/memory/episodic/agent-7", params={"limit": 50}))
    rows.append(
        {
            "case": f"episode list, 50 newest ({episodes_total} in the tenant)",
            **percentiles(samples),
        }
    )
    samples = timed(
        100,
        lambda i: client.get(
            "/v1/memory/episodic/agent-7",
            params={"limit": 50, "session_id": f"s{7 + 50 * (i % 19)}"},
        ),
    )
    rows.append({"case": "episode list, one session's newest 50", **percentiles(samples)})

    started = time.perf_counter()
    purged = client.delete("/v1/memory/purge-me").json()["data"]
    rows.append(
        {
            "case": "purge an agent",
            "seconds": round(time.perf_counter() - started, 2),
            "memories": purged["semantic_deleted"],
            "episodes": purged["episodes_deleted"],
        }
    )
    return rows


if __name__ == "__main__":
    main()
