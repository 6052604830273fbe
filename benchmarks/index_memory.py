"""A worker's resident memory with the embedded semantic store: its fixed cost (the server's
modules and the embedding model), then with 10,000 and 100,000 memories in one agent, and
with 1,000 small agents, each searched; and the same under small index budgets.

    python -m benchmarks.index_memory

Each case's memories are written by one process; then a fresh process (a server worker that
did not write them) loads the model, searches every agent once (hybrid) and reports its
resident memory (VmRSS), its peak (VmHWM) and what the index says it holds. Memories are
written with client vectors (random unit vectors of the model's dimension), so that the
figures are the stores' and the index's, not the embedding's; every query is embedded by the
model.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CASES = [
    {"name": "10,000 memories, 1 agent", "agents": 1, "per_agent": 10_000},
    {"name": "100,000 memories, 1 agent", "agents": 1, "per_agent": 100_000},
    {"name": "1,000 agents x 20 memories", "agents": 1_000, "per_agent": 20},
    {"name": "100,000 memories, budget 128 MiB", "agents": 1, "per_agent": 100_000, "mb": 128},
    {"name": "100,000 memories, budget 16 MiB", "agents": 1, "per_agent": 100_000, "mb": 16},
    {"name": "1,000 agents x 20, budget 1 MiB", "agents": 1_000, "per_agent": 20, "mb": 1},
]


def _status(field: str) -> float:
    """A field of /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field}")


def rss_mb() -> float:
    """This process's resident memory (VmRSS), in MiB."""
    return _status("VmRSS")


def _settings(data_dir: Path, mb: int) -> Any:
    from mnemora_server.settings import Settings

    return Settings(data_dir=data_dir, access_log=False, vector_index_mb=mb)


def load(case: dict[str, Any], data_dir: Path) -> None:
    """Write the case's memories (in their own process: the writer is not measured)."""
    import numpy as np

    from mnemora_server.services.semantic_writes import SemanticWriteRules
    from mnemora_server.stores.base import SemanticDraft
    from mnemora_server.stores.registry import open_stores

    stores = open_stores(_settings(data_dir, 2048), dimension=384)
    stores.setup()
    rng = np.random.default_rng(3)
    for agent in range(case["agents"]):
        for first in range(0, case["per_agent"], 1000):
            count = min(1000, case["per_agent"] - first)
            vectors = rng.standard_normal((count, 384)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            drafts = [
                SemanticDraft(
                    f"a{agent}", "default", f"note {agent}-{first + i} about order {i}", {}, v
                )
                for i, v in enumerate(vectors)
            ]
            stores.semantic.write("t", drafts, time.time(), SemanticWriteRules(max_vectors=None))
    stores.close()


def measure(case: dict[str, Any], data_dir: Path) -> dict[str, Any]:
    """A fresh worker's memory before and after searching every agent once."""
    from mnemora_server.embeddings.registry import build_embedder
    from mnemora_server.services.registry import Services
    from mnemora_server.stores.registry import open_stores

    settings = _settings(data_dir, case.get("mb", 2048))
    embedder = build_embedder(settings)
    embedder.load()
    stores = open_stores(settings, dimension=embedder.dimension)
    semantic = Services.build(settings, stores, embedder, time.time).semantic

    def search(agent: str) -> float:
        started = time.perf_counter()
        semantic.search(
            "t",
            "where was order 12 shipped",
            agent_id=agent,
            namespace=None,
            metadata_filter=None,
            top_k=5,
            threshold=0.1,
            mode="hybrid",
        )
        return (time.perf_counter() - started) * 1000

    search("nobody")
    fixed = rss_mb()
    for agent in range(case["agents"]):
        search(f"a{agent}")
    again = sorted(search(f"a{agent % case['agents']}") for agent in range(9))[4]
    index = stores.semantic.index.nbytes()  # type: ignore[attr-defined]
    return {
        "fixed_mb": fixed,
        "rss_mb": rss_mb(),
        "peak_mb": _status("VmHWM"),
        "index_mb": index / 1024**2,
        "search_ms": again,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("--load", "--measure"):
        case, data_dir = json.loads(sys.argv[2]), Path(sys.argv[3])
        if sys.argv[1] == "--load":
            load(case, data_dir)
        else:
            print(json.dumps(measure(case, data_dir)))
        return
    print(
        "| case | fixed cost | resident after | peak | index holds | budget | a search after, p50 |"
    )
    print("|---|---|---|---|---|---|---|")
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            for step in ("--load", "--measure"):
                out = subprocess.run(
                    [sys.executable, "-m", "benchmarks.index_memory", step, json.dumps(case), tmp],
                    check=True,
                    capture_output=True,
                    text=True,
                )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        budget = f"{case['mb']} MiB" if "mb" in case else "2,048 MiB (default)"
        print(
            f"| {case['name']} | {result['fixed_mb']:.0f} MiB | {result['rss_mb']:.0f} MiB | "
            f"{result['peak_mb']:.0f} MiB | {result['index_mb']:.1f} MiB | {budget} | "
            f"{result['search_ms']:.1f} ms |",
            flush=True,
        )


if __name__ == "__main__":
    main()
