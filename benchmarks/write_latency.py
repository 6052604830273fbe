"""Semantic writes beside the embedding alone, in process, on realistic text.

    python -m benchmarks.write_latency [--sizes 2000 10000] [--writes 200] [--postgres]

One agent already holds N realistic notes (the texts of ``benchmarks.hybrid_latency``);
then, in one run, for the same new texts: the embedding of one text alone against one
memory stored through the semantic service (embedding, duplicate check, quota, metering,
commit), p50; and the embedder's own batch rate against batches of 100 memories stored
(texts per second). The targets: a single write's p50 <= the embedding's p50 + 3 ms; batch
ingest >= 80% of the embedder's batch rate.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from benchmarks.hybrid_latency import note
from benchmarks.semantic_bench import semantic_bench
from mnemora_server.services.semantic import MemoryInput

BATCH = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--writes", type=int, default=200)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="the PostgreSQL semantic store")
    args = parser.parse_args()
    rng = random.Random(11)
    with semantic_bench(on_postgres=args.postgres) as bench:
        embedder, semantic, limits = bench.embedder, bench.semantic, bench.limits
        counter = 0

        def fresh(n: int) -> list[str]:
            nonlocal counter
            texts = [note(rng, counter + i) for i in range(n)]
            counter += n
            return texts

        print(
            "| memories | embedding alone | one write | write - embedding"
            " | embedder batch rate | batch ingest | ingest / embedder |"
        )
        print("|---|---|---|---|---|---|---|")
        for size in sorted(args.sizes):
            while counter < size:
                batch = [MemoryInput(t, {}, dedup=False) for t in fresh(min(500, size - counter))]
                semantic.store("bench", limits, "agent", "default", batch)
            bench.analyse()
            for text in fresh(20):  # warm: caches, the index, the pool
                semantic.store("bench", limits, "agent", "default", [MemoryInput(text, {})])
            texts = fresh(args.writes)
            embed_samples, write_samples = [], []
            for text in texts:  # alternate, so that drift hits both columns alike
                started = time.perf_counter()
                embedder.embed([text])
                embed_samples.append(time.perf_counter() - started)
                started = time.perf_counter()
                semantic.store("bench", limits, "agent", "default", [MemoryInput(text, {})])
                write_samples.append(time.perf_counter() - started)
            embed = statistics.median(embed_samples) * 1000
            write = statistics.median(write_samples) * 1000
            embed_time = ingest_time = 0.0
            for _ in range(args.batches):
                batch_texts = fresh(BATCH)
                started = time.perf_counter()
                embedder.embed(batch_texts)
                embed_time += time.perf_counter() - started
                started = time.perf_counter()
                semantic.store(
                    "bench", limits, "agent", "default", [MemoryInput(t, {}) for t in batch_texts]
                )
                ingest_time += time.perf_counter() - started
            total = args.batches * BATCH
            embed_rate, ingest_rate = total / embed_time, total / ingest_time
            print(
                f"| {size:,} | {embed:.2f} ms | {write:.2f} ms | {write - embed:+.2f} ms"
                f" | {embed_rate:,.0f}/s | {ingest_rate:,.0f}/s"
                f" | {ingest_rate / embed_rate:.0%} |"
            )


if __name__ == "__main__":
    main()
