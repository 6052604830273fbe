"""Semantic memory across server processes: every process's in-memory index stays correct,
and concurrent identical writes from several processes keep one record."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

import httpx
import pytest

from tests.conftest import LiveServer, start_server


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    data = tmp_path_factory.mktemp("semantic-shared") / "data"
    first = start_server(data, workers=1, threads=4)
    second = start_server(data, workers=1, threads=4)
    yield [first, second]
    for server in (first, second):
        server.stop()


def _search(server: LiveServer, key: str, query: str) -> list[dict[str, object]]:
    r = httpx.post(
        server.url + "/v1/memory/semantic/search",
        headers={"Authorization": f"Bearer {key}"},
        json={"query": query, "agent_id": "bot", "threshold": 0.3},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return list(r.json()["data"]["results"])


def test_every_process_sees_writes_deletes_and_purges(servers: list[LiveServer]) -> None:
    one, two = servers
    key = one.tenant("visible", burst_per_second=100_000)
    headers = {"Authorization": f"Bearer {key}"}
    assert _search(two, key, "volcano eruption") == []  # two caches an empty partition
    written = httpx.post(
        one.url + "/v1/memory/semantic",
        headers=headers,
        json={"agent_id": "bot", "content": "The volcano erupted in 1883"},
    )
    memory_id = written.json()["data"]["id"]
    assert [h["id"] for h in _search(two, key, "volcano eruption")] == [memory_id]
    httpx.patch(
        one.url + f"/v1/memory/semantic/{memory_id}",
        headers=headers,
        json={"content": "Penguins live in Antarctica"},
    )
    assert _search(two, key, "volcano eruption") == []
    assert [h["id"] for h in _search(two, key, "penguins antarctica")] == [memory_id]
    httpx.delete(one.url + f"/v1/memory/semantic/{memory_id}", headers=headers)
    assert _search(two, key, "penguins antarctica") == []
    again = httpx.post(
        one.url + "/v1/memory/semantic",
        headers=headers,
        json={"agent_id": "bot", "content": "Penguins cannot fly"},
    )
    assert [h["id"] for h in _search(two, key, "penguins")] == [again.json()["data"]["id"]]
    httpx.delete(one.url + "/v1/memory/bot", headers=headers)
    assert _search(two, key, "penguins") == []
    reborn = httpx.post(
        one.url + "/v1/memory/semantic",
        headers=headers,
        json={"agent_id": "bot", "content": "Penguins are birds"},
    )
    assert [h["id"] for h in _search(two, key, "penguins")] == [reborn.json()["data"]["id"]]


def _write_same(url: str, key: str, count: int) -> list[str]:
    ids = []
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        for _ in range(count):
            r = client.post(
                "/v1/memory/semantic",
                json={"agent_id": "bot", "content": "The wifi password is hunter2"},
            )
            assert r.status_code in (200, 201), r.text
            ids.append(r.json()["data"]["id"])
    return ids


def test_concurrent_identical_writes_keep_one_record(servers: list[LiveServer]) -> None:
    key = servers[0].tenant("racing-dedup", burst_per_second=100_000)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        futures = [pool.submit(_write_same, servers[i % 2].url, key, 5) for i in range(4)]
        ids = {memory_id for f in futures for memory_id in f.result()}
    assert len(ids) == 1
    listed = httpx.get(
        servers[1].url + "/v1/memory/semantic", headers={"Authorization": f"Bearer {key}"}
    ).json()["data"]
    assert listed["count"] == 1
