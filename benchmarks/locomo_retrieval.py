"""Retrieval quality on LoCoMo through the HTTP API: recall@5 and recall@10 per search mode,
and each mode's latency, on the embedded default or the production backends.

    python -m benchmarks.locomo_retrieval PATH/locomo-dev.json [--backends production]

LoCoMo (Maharana et al., ACL 2024; CC BY-NC 4.0) is read from the path given; the data never
enters this repository. Each conversation is one agent of one tenant, each dialog turn one
memory (``"<speaker>: <text>"``, with its session's date and turn id as metadata), written
through ``POST /v1/memory/semantic/batch`` without dedup. Each question of categories 1-4 is
asked of its conversation's agent in every mode; recall@k is the share of its evidence turns
among the first k results, averaged over the questions.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.loadtest import production_backends
from benchmarks.state_http import ADMIN, _start_server

MODES = ("vector", "keyword", "hybrid")
KS = (1, 5, 10)


def turns(conversation: dict[str, Any]) -> list[dict[str, Any]]:
    """Every dialog turn of a conversation as a memory to store."""
    memories = []
    sessions = sorted(
        (k for k in conversation if k.startswith("session_") and not k.endswith("date_time")),
        key=lambda k: int(k.split("_")[1]),
    )
    for session in sessions:
        day = conversation.get(f"{session}_date_time", "")
        for turn in conversation[session]:
            memories.append(
                {
                    "content": f"{turn['speaker']}: {turn['text']}",
                    "metadata": {"dia_id": turn["dia_id"], "session": session, "date": day},
                }
            )
    return memories


class Client:
    """A keep-alive JSON client of one server."""

    def __init__(self, port: int, key: str) -> None:
        self._conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self._key = key

    def call(self, method: str, path: str, body: Any = None, key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {key or self._key}"}
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        self._conn.request(method, path, body=data, headers=headers)
        response = self._conn.getresponse()
        payload = json.loads(response.read())
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {payload}")
        return payload["data"]


def load(client: Client, agent: str, memories: list[dict[str, Any]]) -> float:
    """Store the memories in batches; seconds taken."""
    started = time.perf_counter()
    for first in range(0, len(memories), 100):
        items = [{**memory, "dedup": False} for memory in memories[first : first + 100]]
        client.call("POST", "/v1/memory/semantic/batch", {"agent_id": agent, "items": items})
    return time.perf_counter() - started


def evaluate(client: Client, agent: str, questions: list[dict[str, Any]]) -> dict[str, Any]:
    """Hits per mode and k, and each search's latency."""
    found: dict[str, dict[int, list[float]]] = {m: {k: [] for k in KS} for m in MODES}
    latency: dict[str, list[float]] = {m: [] for m in MODES}
    for question in questions:
        evidence = set(question["evidence"])
        for mode in MODES:
            started = time.perf_counter()
            hits = client.call(
                "POST",
                "/v1/memory/semantic/search",
                {"query": question["question"], "agent_id": agent, "top_k": max(KS), "mode": mode},
            )["results"]
            latency[mode].append(time.perf_counter() - started)
            ranked = [hit["metadata"]["dia_id"] for hit in hits]
            for k in KS:
                found[mode][k].append(len(evidence & set(ranked[:k])) / len(evidence))
    return {"found": found, "latency": latency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path, help="a LoCoMo-format JSON file")
    parser.add_argument("--backends", choices=["embedded", "production"], default="embedded")
    parser.add_argument("--port", type=int, default=18790)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    data = json.loads(args.path.read_text())
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        env = (
            stack.enter_context(production_backends(Path(tmp)))
            if args.backends == "production"
            else {}
        )
        server = _start_server(Path(tmp) / "data", args.port, workers=2, threads=8, env=env)
        try:
            admin = Client(args.port, ADMIN)
            admin.call(
                "POST",
                "/v1/admin/tenants",
                {
                    "tenant_id": "locomo",
                    "tier": "scale",
                    "limits": {"calls_per_day": 10**9, "burst_per_second": 10**6},
                },
            )
            key = admin.call("POST", "/v1/admin/tenants/locomo/keys", {})["api_key"]
            client = Client(args.port, key)
            found: dict[str, dict[int, list[float]]] = {m: {k: [] for k in KS} for m in MODES}
            latency: dict[str, list[float]] = {m: [] for m in MODES}
            memories = loaded = 0
            for conversation in data:
                agent = f"conv-{conversation['sample_id']}"
                stored = turns(conversation["conversation"])
                loaded += load(client, agent, stored)
                memories += len(stored)
                questions = [
                    q
                    for q in conversation["qa"]
                    if q.get("category") in (1, 2, 3, 4) and q.get("evidence")
                ]
                result = evaluate(client, agent, questions)
                for mode in MODES:
                    latency[mode] += result["latency"][mode]
                    for k in KS:
                        found[mode][k] += result["found"][mode][k]
        finally:
            server.terminate()
            server.wait()
    count = len(found["hybrid"][1])
    print(
        f"{len(data)} conversations, {memories} memories ({memories / loaded:.0f}/s stored),"
        f" {count} questions, {args.backends}"
    )
    print("| mode | " + " | ".join(f"recall@{k}" for k in KS) + " | search p50 |")
    print("|---|" + "---|" * (len(KS) + 1))
    figures: dict[str, Any] = {}
    for mode in MODES:
        recall = {k: statistics.fmean(found[mode][k]) for k in KS}
        p50 = statistics.median(latency[mode]) * 1000
        figures[mode] = {"recall": recall, "p50_ms": p50}
        print(f"| {mode} | " + " | ".join(f"{recall[k]:.3f}" for k in KS) + f" | {p50:.1f} ms |")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
