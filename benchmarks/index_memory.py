"""A worker's resident memory with the embedded semantic store: its fixed cost (the server's
modules and the embedding model), then with 10,000 and 100,000 memories in one agent, and
with 1,000 small agents, each searched; and the same under a small index budget.

    python -m benchmarks.index_memory

Each case runs in a fresh process (so that one case's memory does not count in the next),
with the stores and the model the server uses. Memories are written with client vectors
(random unit vectors of the model's dimension), so that the figures are the stores' and the
index's, not the embedding's; every query is embedded by the model.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

CASES = [
    {"name": "10,000 memories, 1 agent", "agents": 1, "per_agent": 10_000},
    {"name": "100,000 memories, 1 agent", "agents": 1, "per_agent": 100_000},
    {"name": "1,000 agents x 20 memories", "agents": 1_000, "per_agent": 20},
    {"name": "100,000 memories, index budget 16 MiB", "agents": 1, "per_agent": 100_000, "mb": 16},
    {"name": "1,000 agents x 20, index budget 1 MiB", "agents": 1_000, "per_agent": 20, "mb": 1},
]


def rss_mb() -> float:
    """This process's resident memory (VmRSS), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One case, in this process."""
    import numpy as np

    from benchmarks.semantic_bench import semantic_bench
    from mnemora_server.services.semantic import MemoryInput

    with semantic_bench(vector_index_mb=case.get("mb", 2048)) as bench:
        embedder, semantic, limits = bench.embedder, bench.semantic, bench.limits
        semantic.search(
            "t",
            "warm up",
            agent_id="a0",
            namespace=None,
            metadata_filter=None,
            top_k=5,
            threshold=0.1,
            mode="hybrid",
        )
        fixed = rss_mb()
        rng = np.random.default_rng(3)
        for agent in range(case["agents"]):
            left = case["per_agent"]
            while left:
                count = min(500, left)
                vectors = rng.standard_normal((count, embedder.dimension)).astype(np.float32)
                vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                items = [
                    MemoryInput(
                        f"note {agent}-{left - i} about order {i}",
                        {},
                        dedup=False,
                        embedding=vectors[i].tolist(),
                    )
                    for i in range(count)
                ]
                semantic.store("t", limits, f"a{agent}", "default", items)
                left -= count
        for agent in range(case["agents"]):
            semantic.search(
                "t",
                "where was order 12 shipped",
                agent_id=f"a{agent}",
                namespace=None,
                metadata_filter=None,
                top_k=5,
                threshold=0.1,
                mode="hybrid",
            )
        loaded = rss_mb()
        index = bench.stores.semantic.index.nbytes()  # type: ignore[attr-defined]
    return {"fixed_mb": fixed, "rss_mb": loaded, "index_mb": index / 1024**2}


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--case":
        print(json.dumps(run_case(json.loads(sys.argv[2]))))
        return
    print("| case | fixed cost | resident after | in-process index | budget |")
    print("|---|---|---|---|---|")
    for case in CASES:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.index_memory", "--case", json.dumps(case)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        budget = f"{case['mb']} MiB" if "mb" in case else "2,048 MiB (default)"
        print(
            f"| {case['name']} | {result['fixed_mb']:.0f} MiB | {result['rss_mb']:.0f} MiB | "
            f"{result['index_mb']:.1f} MiB | {budget} |"
        )


if __name__ == "__main__":
    main()
