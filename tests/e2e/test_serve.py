"""``mnemora-server serve``: production servers, and a graceful stop under load."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import httpx

from tests.conftest import start_server


def test_sigterm_finishes_in_flight_requests_and_exits_cleanly(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", workers=2, threads=4)
    key = server.tenant("acme", burst_per_second=100_000)
    headers = {"Authorization": f"Bearer {key}"}
    acknowledged: list[int] = []
    stop = threading.Event()

    def writer() -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
            i = 0
            while not stop.is_set():
                try:
                    r = client.post(
                        "/v1/state",
                        json={"agent_id": "bot", "session_id": f"s{i}", "data": {"i": i}},
                    )
                except httpx.TransportError:
                    return
                if r.status_code == 201:
                    acknowledged.append(i)
                i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    while len(acknowledged) < 50:
        pass
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    stop.set()
    thread.join()
    # Every acknowledged write is on disk: a fresh server sees all of them.
    again = start_server(tmp_path / "data", workers=1, threads=2)
    try:
        with httpx.Client(base_url=again.url, headers=headers, timeout=10) as client:
            sessions: list[str] = []
            cursor = None
            while True:
                params = {"limit": 1000} | ({"cursor": cursor} if cursor else {})
                page = client.get("/v1/state/bot/sessions", params=params).json()["data"]
                sessions += page["sessions"]
                cursor = page["next_cursor"]
                if not cursor:
                    break
        assert {f"s{i}" for i in acknowledged} <= set(sessions)
    finally:
        again.stop()


def test_waitress_serves_the_same_api(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data", workers=1, threads=4, server="waitress")
    try:
        key = server.tenant("acme")
        r = httpx.post(
            server.url + "/v1/state",
            headers={"Authorization": f"Bearer {key}"},
            json={"agent_id": "bot", "data": {"w": 1}},
        )
        assert r.status_code == 201
        assert "waitress" in r.headers.get("server", "")
    finally:
        server.stop()
