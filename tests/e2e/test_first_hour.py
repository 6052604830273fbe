"""The first hour of a newcomer: the server says what it runs on and refuses to start without
its model, the CLI never answers from a new empty data directory, the docs work offline, and
a refused request never poisons its keep-alive connection."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from mnemora_server import __version__
from tests.conftest import ADMIN_TOKEN, MODEL_PATH, LiveServer, start_server


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: where its data directory is comes from ``env`` or the
    working directory, never from the environment this test suite runs in."""
    inherited = {k: v for k, v in os.environ.items() if k != "MNEMORA_DATA_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "mnemora_server.cli", *args],
        cwd=cwd,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_its_model_the_server_refuses_to_start_and_says_what_to_set(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    done = cli(
        "serve",
        "--port",
        "1",
        cwd=tmp_path,
        MNEMORA_DATA_DIR=str(tmp_path / "data"),
        MNEMORA_EMBEDDING_MODEL_PATH=str(empty),
    )
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: UNAVAILABLE: no model.onnx in MNEMORA_EMBEDDING_MODEL_PATH=")
    assert "mnemora-server listening" not in done.stdout


def test_asked_to_start_without_its_model_semantic_memory_answers_503_at_once(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "no-model"
    empty.mkdir()
    server = start_server(
        tmp_path / "data",
        degraded=True,
        MNEMORA_EMBEDDING_MODEL_PATH=str(empty),
        MNEMORA_EMBEDDER_REQUIRED="false",
    )
    try:
        key = server.tenant("acme")
        health = httpx.get(server.url + "/v1/health")
        assert health.status_code == 503
        assert health.json()["data"]["stores"]["embedder"].startswith(
            "unavailable: no model.onnx in MNEMORA_EMBEDDING_MODEL_PATH="
        )
        headers = {"Authorization": f"Bearer {key}"}
        refused = httpx.post(
            server.url + "/v1/memory/semantic",
            json={"agent_id": "bot", "content": "hello"},
            headers=headers,
            timeout=5,
        )
        assert refused.status_code == 503
        assert "MNEMORA_EMBEDDING_MODEL_PATH" in refused.json()["error"]["message"]
        state = httpx.post(
            server.url + "/v1/state", json={"agent_id": "bot", "data": {}}, headers=headers
        )
        assert state.status_code == 201, "the other memory types work"
    finally:
        server.stop()


def test_the_server_prints_its_configuration_and_logs_each_request(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        key = server.tenant("acme")
        httpx.get(server.url + "/v1/usage", headers={"Authorization": f"Bearer {key}"})
    finally:
        server.stop()
    log = (tmp_path / "data" / "server.log").read_text()
    assert f"mnemora-server {__version__}" in log
    assert f"data directory: {(tmp_path / 'data').resolve()}" in log
    assert "  semantic store: sqlite:///" in log
    model = "sentence-transformers/all-MiniLM-L6-v2 (384-d, ONNX in process)"
    assert f"embedder: {model} from {MODEL_PATH}" in log
    assert "admin API: on" in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith('{"method"')]
    usage = next(line for line in lines if line["route"] == "/v1/usage")
    assert usage["status"] == 200
    assert usage["request_id"].startswith("req_")
    assert key not in log, "never a key"


def test_the_cli_names_its_data_directory_and_never_makes_an_empty_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refused = cli("tenants", "list", cwd=elsewhere)
    assert refused.returncode == 2
    assert f"no data directory at {elsewhere / 'mnemora-data'}" in refused.stderr
    assert not (elsewhere / "mnemora-data").exists()
    made = cli("migrate", cwd=tmp_path, MNEMORA_DATA_DIR=str(data))
    assert made.returncode == 0, made.stderr
    listed = cli("tenants", "list", cwd=elsewhere, MNEMORA_DATA_DIR=str(data))
    assert listed.returncode == 0
    assert f"data directory: {data.resolve()}" in listed.stderr
    assert json.loads(listed.stdout) == []
    version = cli("--version", cwd=tmp_path)
    assert version.stdout.strip() == f"mnemora-server {__version__}"


def test_the_docs_work_offline_and_the_root_points_at_them(live_server: LiveServer) -> None:
    page = httpx.get(live_server.url + "/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "http" not in page.text.replace("http-equiv", ""), "no asset from elsewhere"
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        served = httpx.get(f"{live_server.url}/docs/assets/{asset}")
        assert served.status_code == 200, asset
        assert len(served.content) > 10_000
    browser = httpx.get(live_server.url + "/", headers={"Accept": "text/html"})
    assert browser.status_code == 302
    assert browser.headers["location"].endswith("/docs")
    client = httpx.get(live_server.url + "/").json()["data"]
    assert client["docs"] == "/docs"
    assert client["openapi"] == "/v1/openapi.json"
    document = httpx.get(live_server.url + "/v1/openapi.json").json()
    assert document["servers"] == [{"url": "/", "description": "this server"}]
    usage = document["paths"]["/v1/usage"]["get"]
    assert usage["security"] == [{"apiKey": []}]
    assert "413" not in usage["responses"], "errors are the operation's own"
    assert document["paths"]["/v1/health"]["get"]["security"] == []
    assert "401" not in document["paths"]["/v1/health"]["get"]["responses"]
    assert document["paths"]["/v1/admin/tenants"]["post"]["security"] == [{"adminToken": []}]
    imports = document["paths"]["/v1/import"]["post"]
    assert "application/x-ndjson" in imports["requestBody"]["content"]
    exports = document["paths"]["/v1/export"]["get"]
    assert "application/x-ndjson" in exports["responses"]["200"]["content"]


@pytest.mark.parametrize("server_kind", ["gunicorn", "waitress"])
def test_a_refused_request_never_poisons_its_keep_alive_connection(
    tmp_path: Path, server_kind: str
) -> None:
    server = start_server(tmp_path / "data", server=server_kind)
    try:
        key = server.tenant("acme")
        slow = server.tenant("slow", burst_per_second=1)
        host, port = server.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        limited = {"Authorization": f"Bearer {slow}", "Content-Type": "application/json"}
        big = json.dumps({"agent_id": "bot", "data": {"x": "y" * 2_000_000}})
        refusals = [
            ("POST", "/v1/state", big, auth, 413),
            ("POST", "/v1/state", '{"agent_id": ', auth, 400),
            ("POST", "/v1/state", json.dumps({"agent_id": "bad id!"}), auth, 400),
            ("POST", "/v1/nowhere", json.dumps({"x": 1}), auth, 404),
            ("POST", "/v1/state", json.dumps({"agent_id": "bot", "data": {}}), {}, 401),
        ]
        for method, path, body, headers, status in refusals:
            connection.request(method, path, body=body, headers=headers)
            answer = connection.getresponse()
            answer.read()
            assert answer.status == status, (path, status, answer.status)
        # A tenant allowed one call per second: a 429 with its body unread, then a valid call.
        seen_429 = False
        for _ in range(5):
            connection.request("POST", "/v1/memory/search", body=big, headers=limited)
            answer = connection.getresponse()
            answer.read()
            seen_429 = seen_429 or answer.status == 429
            if seen_429:
                break
        assert seen_429
        time.sleep(1.1)
        body = json.dumps({"agent_id": "bot", "data": {"ok": True}})
        connection.request("POST", "/v1/state", body=body, headers=auth)
        answer = connection.getresponse()
        assert answer.status == 201, answer.read()
        connection.close()
    finally:
        server.stop()


def test_the_admin_token_reaches_the_log_never(tmp_path: Path) -> None:
    server = start_server(tmp_path / "data")
    try:
        httpx.get(
            server.url + "/v1/admin/tenants", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
    finally:
        server.stop()
    assert ADMIN_TOKEN not in (tmp_path / "data" / "server.log").read_text()
