"""LangGraph on Mnemora against LangGraph's own savers and store, in one run.

Cases:
- the same 20-step graph (each step appends 5 chat messages of ~300 characters, so the
  ``messages`` channel grows to 100) on ``InMemorySaver``, langgraph-checkpoint-sqlite's
  ``SqliteSaver`` (a file), langgraph-checkpoint-postgres's ``PostgresSaver`` (embedded
  PostgreSQL 18 on this machine) and ``MnemoraSaver`` (the embedded default over HTTP):
  milliseconds per step, median of the runs, and the ratio to ``PostgresSaver``;
- ``aput`` and ``aget_tuple`` latency of ``MnemoraSaver`` and of ``AsyncPostgresSaver``,
  replaying the checkpoints of a recorded run of that graph (so every put carries a growing
  message list, as in production);
- ``MnemoraStore.search`` with a query at 10K items (server-side embedding of the query
  included), beside LangGraph's ``InMemoryStore`` with the same model embedding in process,
  and the embedding of one query alone (``/v1/embeddings``).

Run: ``make bench-langgraph`` or ``python -m benchmarks.langgraph_memory [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.postgres import PostgresSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.store.memory import InMemoryStore

from benchmarks.memory_http import percentiles, print_table, sentence
from benchmarks.semantic_bench import embedded_postgres
from benchmarks.state_http import ADMIN, _start_server
from mnemora import MnemoraClient, MnemoraSync
from mnemora_integrations.langgraph import MnemoraSaver, MnemoraStore
from mnemora_server.embeddings.registry import build_embedder
from mnemora_server.settings import Settings

MODEL = Path(__file__).resolve().parents[2] / "shared" / "models" / "all-MiniLM-L6-v2"
STEPS = 20
PER_STEP = 5


class Chat(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def chat_graph(saver: BaseCheckpointSaver[Any]) -> Any:
    """Twenty steps, each appending five messages of ~300 characters."""
    rng = random.Random(7)
    text = [" ".join(sentence(rng) for _ in range(4)) for _ in range(64)]

    def step(state: Chat) -> dict[str, Any]:
        n = len(state["messages"])
        return {"messages": [AIMessage(text[(n + i) % 64]) for i in range(PER_STEP)]}

    def more(state: Chat) -> str:
        return "step" if len(state["messages"]) < STEPS * PER_STEP else END

    builder = StateGraph(Chat)
    builder.add_node("step", step)
    builder.add_edge(START, "step")
    builder.add_conditional_edges("step", more)
    return builder.compile(checkpointer=saver)


def per_step_ms(saver: BaseCheckpointSaver[Any], runs: int) -> list[float]:
    """Milliseconds per step of whole 20-step runs, each on a new thread (one warm-up)."""
    graph = chat_graph(saver)
    samples = []
    for run in range(runs + 1):
        config = {"configurable": {"thread_id": f"bench-{uuid.uuid4().hex}"}}
        started = time.perf_counter()
        result = graph.invoke({"messages": []}, config, recursion_limit=STEPS + 5)
        elapsed = time.perf_counter() - started
        assert len(result["messages"]) == STEPS * PER_STEP
        if run:
            samples.append(elapsed * 1000 / STEPS)
    return samples


def recorded_puts() -> list[tuple[Any, Any, Any, Any]]:
    """The (config, checkpoint, metadata, new_versions) of every put of one run."""
    puts: list[tuple[Any, Any, Any, Any]] = []

    class Recording(InMemorySaver):
        def put(self, config: Any, checkpoint: Any, metadata: Any, new_versions: Any) -> Any:
            puts.append((config, checkpoint, metadata, new_versions))
            return super().put(config, checkpoint, metadata, new_versions)

    chat_graph(Recording()).invoke(
        {"messages": []}, {"configurable": {"thread_id": "rec"}}, recursion_limit=STEPS + 5
    )
    return puts


async def put_and_get_ms(
    saver: BaseCheckpointSaver[Any], puts: list[tuple[Any, Any, Any, Any]], threads: int
) -> tuple[list[float], list[float]]:
    """Replay the recorded puts on new threads: each ``aput``, then ``aget_tuple`` of it."""
    put_ms: list[float] = []
    get_ms: list[float] = []
    for _ in range(threads):
        thread = f"replay-{uuid.uuid4().hex}"
        parent: Any = None
        for config, checkpoint, metadata, versions in puts:
            target = {
                "configurable": {
                    **config["configurable"],
                    "thread_id": thread,
                    "checkpoint_id": parent,
                }
            }
            started = time.perf_counter()
            stored = await saver.aput(target, checkpoint, metadata, versions)
            put_ms.append(time.perf_counter() - started)
            started = time.perf_counter()
            found = await saver.aget_tuple({"configurable": {"thread_id": thread}})
            get_ms.append(time.perf_counter() - started)
            assert found is not None
            assert found.checkpoint["id"] == checkpoint["id"]
            parent = stored["configurable"]["checkpoint_id"]
    return put_ms, get_ms


def provision(url: str) -> str:
    """A tenant without practical limits; returns its key."""
    import httpx

    admin = {"Authorization": f"Bearer {ADMIN}"}
    limits = {"calls_per_day": 100_000_000, "burst_per_second": 1_000_000}
    body = {"tenant_id": "bench", "tier": "scale", "limits": limits}
    httpx.post(url + "/v1/admin/tenants", json=body, headers=admin).raise_for_status()
    issued = httpx.post(url + "/v1/admin/tenants/bench/keys", json={}, headers=admin)
    issued.raise_for_status()
    return str(issued.json()["data"]["api_key"])


def search_cases(url: str, key: str, items: int, queries: int) -> list[dict[str, Any]]:
    """MnemoraStore.search at ``items`` items beside InMemoryStore with the same model."""
    rng = random.Random(11)
    texts = [sentence(rng) for _ in range(items)]
    asked = [sentence(rng) for _ in range(queries)]
    namespace = ("customers", "acme", "notes")
    store = MnemoraStore(agent_id="bench-store", api_key=key, base_url=url)
    started = time.perf_counter()
    for start in range(0, items, 250):
        store.batch([_put_op(namespace, f"n{i}", texts[i]) for i in range(start, start + 250)])
    load_s = time.perf_counter() - started
    mnemora = percentiles(_timed(lambda q: store.search(namespace, query=q, limit=10), asked))

    embedder = build_embedder(Settings())  # the server's model, configured as it is

    def embed(batch: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in embedder.embed(batch)]

    memory = InMemoryStore(index={"dims": 384, "embed": embed, "fields": ["text"]})
    for start in range(0, items, 250):
        memory.batch([_put_op(namespace, f"n{i}", texts[i]) for i in range(start, start + 250)])
    in_memory = percentiles(_timed(lambda q: memory.search(namespace, query=q, limit=10), asked))
    with MnemoraSync(api_key=key, base_url=url) as client:
        embedding = percentiles(_timed(lambda q: client.embed([q]), asked))
    store.close()
    return [
        {"case": f"MnemoraStore.search, {items} items", **mnemora, "load_s": round(load_s, 1)},
        {"case": f"InMemoryStore.search, {items} items (same model in process)", **in_memory},
        {"case": "embedding one query alone (/v1/embeddings)", **embedding},
    ]


def _put_op(namespace: tuple[str, ...], key: str, text: str) -> Any:
    from langgraph.store.base import PutOp

    return PutOp(namespace, key, {"text": text}, index=None)


def _timed(fn: Callable[[str], Any], inputs: list[str]) -> list[float]:
    fn(inputs[0])
    samples = []
    for value in inputs:
        started = time.perf_counter()
        fn(value)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    """Run every case and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--port", type=int, default=18767)
    args = parser.parse_args()
    runs = 3 if args.quick else 15
    items = 1_000 if args.quick else 10_000
    os.environ.setdefault("MNEMORA_EMBEDDING_MODEL_PATH", str(MODEL))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, embedded_postgres() as pg_url:
        server = _start_server(Path(tmp) / "data", args.port, workers=2, threads=8)
        url = f"http://127.0.0.1:{args.port}"
        try:
            key = provision(url)
            steps: dict[str, list[float]] = {}
            steps["InMemorySaver"] = per_step_ms(InMemorySaver(), runs)
            connection = sqlite3.connect(Path(tmp) / "lg.sqlite", check_same_thread=False)
            steps["SqliteSaver (file)"] = per_step_ms(SqliteSaver(connection), runs)
            with PostgresSaver.from_conn_string(pg_url) as pg_saver:
                pg_saver.setup()
                steps["PostgresSaver (embedded PostgreSQL)"] = per_step_ms(pg_saver, runs)
            with MnemoraSaver(agent_id="bench-graph", api_key=key, base_url=url) as saver:
                steps["MnemoraSaver (embedded default, HTTP)"] = per_step_ms(saver, runs)
            reference = statistics.median(steps["PostgresSaver (embedded PostgreSQL)"])
            for name, samples in steps.items():
                median = statistics.median(samples)
                rows.append(
                    {
                        "case": f"20-step graph, {name}",
                        "ms_per_step": round(median, 2),
                        "vs_PostgresSaver": round(median / reference, 2),
                    }
                )
            rows += asyncio.run(_async_cases(url, key, pg_url, 2 if args.quick else 10))
            rows += search_cases(url, key, items, 50 if args.quick else 200)
        finally:
            server.terminate()
            server.wait()
    print_table(rows)


async def _async_cases(url: str, key: str, pg_url: str, threads: int) -> list[dict[str, Any]]:
    puts = recorded_puts()
    rows = []
    client = MnemoraClient(api_key=key, base_url=url)
    saver = MnemoraSaver(agent_id="bench-async", client=client)
    put_ms, get_ms = await put_and_get_ms(saver, puts, threads)
    rows.append({"case": "MnemoraSaver.aput", **percentiles(put_ms), "calls": len(put_ms)})
    rows.append({"case": "MnemoraSaver.aget_tuple", **percentiles(get_ms), "calls": len(get_ms)})
    await client.close()
    async with AsyncPostgresSaver.from_conn_string(pg_url) as pg_saver:
        await pg_saver.setup()
        put_ms, get_ms = await put_and_get_ms(pg_saver, puts, threads)
    rows.append({"case": "AsyncPostgresSaver.aput", **percentiles(put_ms), "calls": len(put_ms)})
    rows.append(
        {"case": "AsyncPostgresSaver.aget_tuple", **percentiles(get_ms), "calls": len(get_ms)}
    )
    return rows


if __name__ == "__main__":
    sys.exit(main())
