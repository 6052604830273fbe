"""Working memory over HTTP on the embedded default: latency and throughput.

Starts ``mnemora-server serve`` (gunicorn, 2 workers x 8 threads) on a fresh data directory,
then measures with keep-alive connections from separate client processes:

- one client: ``GET /v1/state/{agent}`` and ``PUT`` (p50, p99, requests/s);
- 16 concurrent clients (4 processes x 4 threads): GET throughput and latency.

Run: ``make bench`` (or ``python -m benchmarks.state_http --requests 5000``).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ADMIN = "bench-admin-token"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, body: object, key: str
) -> tuple[int, bytes]:
    payload = None if body is None else json.dumps(body)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    conn.request(method, path, body=payload, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def _client_loop(port: int, key: str, agent: str, method: str, count: int) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    version = 1
    for i in range(count):
        started = time.perf_counter()
        if method == "GET":
            status, _ = _request(conn, "GET", f"/v1/state/{agent}", None, key)
        else:
            status, _ = _request(
                conn,
                "PUT",
                f"/v1/state/{agent}",
                {"data": {"i": i, "text": "x" * 200}, "version": version},
                key,
            )
            version += 1
        latencies.append(time.perf_counter() - started)
        if status not in (200, 201):
            raise RuntimeError(f"unexpected status {status}")
    conn.close()
    return latencies


def _process_worker(
    port: int, key: str, threads: int, duration: float, out: multiprocessing.Queue
) -> None:  # type: ignore[type-arg]
    results: list[list[float]] = [[] for _ in range(threads)]

    def run(slot: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        agent = f"agent-{slot % 4}"
        deadline = time.perf_counter() + duration
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            status, _ = _request(conn, "GET", f"/v1/state/{agent}", None, key)
            results[slot].append(time.perf_counter() - started)
            if status != 200:
                raise RuntimeError(f"unexpected status {status}")
        conn.close()

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.put([x for r in results for x in r])


def _start_server(
    data_dir: Path, port: int, workers: int, threads: int, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MNEMORA_DATA_DIR": str(data_dir),
        "MNEMORA_ADMIN_TOKEN": ADMIN,
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mnemora_server.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def _provision(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    limits = {"calls_per_day": 100_000_000, "burst_per_second": 1_000_000}
    _request(
        conn,
        "POST",
        "/v1/admin/tenants",
        {"tenant_id": "bench", "tier": "scale", "limits": limits},
        ADMIN,
    )
    _, raw = _request(conn, "POST", "/v1/admin/tenants/bench/keys", {}, ADMIN)
    key = json.loads(raw)["data"]["api_key"]
    for agent in ("solo", "agent-0", "agent-1", "agent-2", "agent-3"):
        _request(conn, "POST", "/v1/state", {"agent_id": agent, "data": {"text": "x" * 200}}, key)
    conn.close()
    return str(key)


def _summary(name: str, latencies: list[float], wall: float) -> dict[str, object]:
    return {
        "case": name,
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p99_ms": round(_percentile(latencies, 0.99) * 1000, 3),
        "throughput_rps": round(len(latencies) / wall, 1),
    }


def main() -> None:
    """Run the benchmark and print one JSON line per case plus a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=18765)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = _start_server(Path(tmp) / "data", args.port, args.workers, args.threads)
        try:
            key = _provision(args.port)
            rows = []
            _client_loop(args.port, key, "solo", "GET", 500)  # warm up
            for method in ("GET", "PUT"):
                started = time.perf_counter()
                latencies = _client_loop(args.port, key, "solo", method, args.requests)
                rows.append(
                    _summary(f"1 client, {method}", latencies, time.perf_counter() - started)
                )
            queue: multiprocessing.Queue[list[float]] = multiprocessing.Queue()
            procs = [
                multiprocessing.Process(
                    target=_process_worker, args=(args.port, key, 4, args.duration, queue)
                )
                for _ in range(4)
            ]
            started = time.perf_counter()
            for proc in procs:
                proc.start()
            merged = [x for _ in procs for x in queue.get()]
            for proc in procs:
                proc.join()
            rows.append(_summary("16 clients, GET", merged, time.perf_counter() - started))
        finally:
            server.terminate()
            server.wait()
    for row in rows:
        print(json.dumps(row))
    print(
        f"\nmachine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, "
        f"server: {args.workers} workers x {args.threads} threads (gunicorn gthread)\n"
    )
    print("| case | requests | p50 ms | p99 ms | requests/s |")
    print("|---|---|---|---|---|")
    for row in rows:
        cells = [row[c] for c in ("case", "requests", "p50_ms", "p99_ms", "throughput_rps")]
        print("| " + " | ".join(str(c) for c in cells) + " |")


if __name__ == "__main__":
    main()
