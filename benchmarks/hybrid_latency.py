"""Hybrid search beside the embedding alone, in process, on realistic text.

    python -m benchmarks.hybrid_latency [--sizes 2000 10000] [--queries 200] [--postgres]

One agent holds N support notes and conversational turns written from a shared vocabulary
("Customer note 12: order 84 was shipped to city 12 with carrier 2.", "Maria asked whether
the premium plan includes refunds for annual billing."), stored through the semantic
service on the embedded default. For each size the same queries are timed, in one run: the
query's embedding alone, vector search, keyword search, and hybrid search (the keyword leg
runs beside the embedding). The target: hybrid p50 <= embedding p50 + 3 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import statistics
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import Any

from benchmarks.semantic_bench import semantic_bench
from mnemora_server.services import semantic as semantic_module
from mnemora_server.services.semantic import MemoryInput

NAMES = ["Maria", "Tom", "Aisha", "Kenji", "Lena", "Omar", "Priya", "Jonas", "Chen", "Sofia"]
TOPICS = [
    "refunds",
    "annual billing",
    "the premium plan",
    "password reset",
    "invoices",
    "shipping to Norway",
    "the mobile app",
    "two-factor login",
    "data export",
    "team seats",
]
VERBS = ["asked whether", "complained that", "confirmed that", "wanted to know if", "reported that"]
CLAIMS = [
    "{t} includes refunds",
    "{t} was broken again",
    "{t} costs more than last year",
    "{t} works on the weekend",
    "{t} needs a manager's approval",
]


def note(rng: random.Random, i: int) -> str:
    """One realistic memory."""
    if i % 2:
        return (
            f"Customer note {i}: order {rng.randrange(1000)} was shipped to city "
            f"{rng.randrange(50)} with carrier {rng.randrange(6)}."
        )
    claim = rng.choice(CLAIMS).format(t=rng.choice(TOPICS))
    return f"{rng.choice(NAMES)} {rng.choice(VERBS)} {claim}."


def question(rng: random.Random) -> str:
    """A question an agent would ask of them."""
    if rng.random() < 0.5:
        return f"where was order {rng.randrange(1000)} shipped"
    return f"what did {rng.choice(NAMES)} say about {rng.choice(TOPICS)}"


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def timed(fn: Callable[[str], Any], queries: list[str]) -> float:
    samples = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        samples.append(time.perf_counter() - started)
    return p50(samples)


@contextlib.contextmanager
def _one_after_the_other() -> Iterator[None]:
    """The keyword leg run in the request's thread (as before it ran beside the embedding)."""

    def inline(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        done.set_result(fn(*args, **kwargs))
        return done

    original = semantic_module.beside
    semantic_module.beside = inline  # type: ignore[assignment]
    try:
        yield
    finally:
        semantic_module.beside = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--postgres", action="store_true", help="the PostgreSQL semantic store")
    args = parser.parse_args()
    rng = random.Random(7)
    with semantic_bench(on_postgres=args.postgres) as bench:
        embedder, semantic, limits = bench.embedder, bench.semantic, bench.limits
        stored = 0
        print(
            "| memories | embedding alone | vector | keyword | hybrid, legs one after the other"
            " | hybrid | hybrid - embedding |"
        )
        print("|---|---|---|---|---|---|---|")
        for size in sorted(args.sizes):
            while stored < size:
                batch = [
                    MemoryInput(note(rng, stored + i), {}, dedup=False)
                    for i in range(min(500, size - stored))
                ]
                semantic.store("bench", limits, "agent", "default", batch)
                stored += len(batch)
            bench.analyse()
            queries = [question(rng) for _ in range(args.queries)]
            for warm in queries[:20]:  # caches and the pool
                semantic.search(
                    "bench",
                    warm,
                    agent_id="agent",
                    namespace=None,
                    metadata_filter=None,
                    top_k=10,
                    threshold=0.1,
                    mode="hybrid",
                )

            def search(mode: str) -> Callable[[str], Any]:
                return lambda query: semantic.search(
                    "bench",
                    query,
                    agent_id="agent",
                    namespace=None,
                    metadata_filter=None,
                    top_k=10,
                    threshold=0.1,
                    mode=mode,  # type: ignore[arg-type]
                )

            embed = timed(lambda q: embedder.embed([q]), queries)
            vector = timed(search("vector"), queries)
            keyword = timed(search("keyword"), queries)
            hybrid = timed(search("hybrid"), queries)
            with _one_after_the_other():
                sequential = timed(search("hybrid"), queries)
            print(
                f"| {size:,} | {embed:.2f} ms | {vector:.2f} ms | {keyword:.2f} ms | "
                f"{sequential:.2f} ms | {hybrid:.2f} ms | {hybrid - embed:+.2f} ms |"
            )


if __name__ == "__main__":
    main()
