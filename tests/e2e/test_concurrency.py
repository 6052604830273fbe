"""Several server processes and several client processes over one embedded data directory:
counters stay exact, limits hold exactly, optimistic locking loses nothing."""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import LiveServer, start_server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    data = tmp_path_factory.mktemp("shared") / "data"
    first = start_server(data, workers=2, threads=4)
    second = start_server(data, workers=2, threads=4)  # a second server on the same data
    yield [first, second]
    for server in (first, second):
        server.stop()


def _hammer(urls: list[str], key: str, count: int, worker: int) -> Counter[int]:
    statuses: Counter[int] = Counter()
    headers = {"Authorization": f"Bearer {key}"}
    clients = [httpx.Client(base_url=url, headers=headers, timeout=30) for url in urls]
    for i in range(count):
        client = clients[i % len(clients)]
        if i % 3 == 0:
            r = client.post(
                "/v1/state",
                json={"agent_id": f"w{worker}", "session_id": f"s{i}", "data": {"i": i}},
            )
        else:
            r = client.get(f"/v1/state/w{worker}", params={"session_id": f"s{i - i % 3}"})
        statuses[r.status_code] += 1
    for client in clients:
        client.close()
    return statuses


def _run_clients(urls: list[str], key: str, processes: int, count: int) -> Counter[int]:
    total: Counter[int] = Counter()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = [pool.submit(_hammer, urls, key, count, w) for w in range(processes)]
        for future in futures:
            total.update(future.result())
    return total


def test_counters_are_exact_across_server_and_client_processes(servers: list[LiveServer]) -> None:
    key = servers[0].tenant("counted", tier="scale", burst_per_second=100_000)
    statuses = _run_clients([s.url for s in servers], key, processes=4, count=150)
    assert sum(statuses.values()) == 600
    assert set(statuses) <= {200, 201}, statuses
    usage = servers[1].admin("GET", "/v1/admin/tenants/counted/usage").json()["data"]
    assert usage["api_calls_today"] == 600
    assert usage["api_calls_month"] == 600
    assert usage["rate_limited_month"] == 0


def test_daily_limit_holds_exactly_under_concurrency(servers: list[LiveServer]) -> None:
    key = servers[0].tenant("limited", tier="free", calls_per_day=250, burst_per_second=100_000)
    statuses = _run_clients([s.url for s in servers], key, processes=4, count=100)
    refused = statuses[429]
    accepted = sum(n for status, n in statuses.items() if status != 429)
    assert accepted == 250, statuses
    assert refused == 150
    usage = servers[0].admin("GET", "/v1/admin/tenants/limited/usage").json()["data"]
    assert usage["api_calls_today"] == 400
    assert usage["rate_limited_month"] == 150


def test_concurrent_puts_with_one_version_have_exactly_one_winner(
    servers: list[LiveServer],
) -> None:
    key = servers[0].tenant("racers", burst_per_second=100_000)
    headers = {"Authorization": f"Bearer {key}"}
    httpx.post(
        servers[0].url + "/v1/state",
        headers=headers,
        json={"agent_id": "bot", "data": {"winner": None}},
    )

    def put(i: int) -> int:
        url = servers[i % 2].url + "/v1/state/bot"
        return httpx.put(
            url, headers=headers, timeout=30, json={"data": {"winner": i}, "version": 1}
        ).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(put, range(32)))
    assert results.count(200) == 1, results
    assert results.count(409) == 31
    final = httpx.get(servers[1].url + "/v1/state/bot", headers=headers).json()["data"]
    assert final["version"] == 2
    assert final["data"]["winner"] == results.index(200)


def _increment(url: str, key: str, times: int) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    conflicts = 0
    with httpx.Client(base_url=url, headers=headers, timeout=30) as client:
        for _ in range(times):
            while True:
                state = client.get("/v1/state/counter").json()["data"]
                r = client.put(
                    "/v1/state/counter",
                    json={"data": {"n": state["data"]["n"] + 1}, "version": state["version"]},
                )
                if r.status_code == 200:
                    break
                assert r.status_code == 409
                conflicts += 1
    return conflicts


def test_read_modify_write_loops_lose_no_update(servers: list[LiveServer]) -> None:
    key = servers[0].tenant("incrementers", burst_per_second=100_000)
    httpx.post(
        servers[0].url + "/v1/state",
        headers={"Authorization": f"Bearer {key}"},
        json={"agent_id": "counter", "data": {"n": 0}},
    )
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        futures = [pool.submit(_increment, servers[w % 2].url, key, 25) for w in range(4)]
        conflicts = sum(f.result() for f in futures)
    final = httpx.get(
        servers[0].url + "/v1/state/counter", headers={"Authorization": f"Bearer {key}"}
    ).json()["data"]
    assert final["data"]["n"] == 100
    assert final["version"] == 101
    assert conflicts >= 0


def test_server_logs_hold_no_keys(servers: list[LiveServer]) -> None:
    key = servers[0].tenant("logged")
    httpx.get(servers[0].url + "/v1/state/x", headers={"Authorization": f"Bearer {key}"})
    httpx.get(servers[0].url + "/v1/state/x", headers={"Authorization": "Bearer mnm_wrong"})
    for server in servers:
        log = Path(server.data_dir / "server.log").read_text()
        assert key not in log
        assert key[4:] not in log
