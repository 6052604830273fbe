"""``GET /metrics``: Prometheus text that prometheus-client's own parser reads, summed over
gunicorn's workers, counting what the test did, naming no tenant by default, and only for
the operator."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from mnemora_server.errors import UnavailableError
from mnemora_server.metrics import backend_of
from mnemora_server.stores.sqlite.state import SqliteStateStore
from tests.conftest import ADMIN_TOKEN, start_server


def samples(text: str) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """Every sample, by name and labels."""
    found: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
    return found


@pytest.mark.parametrize("tenant_labels", [False, True])
def test_metrics_count_what_happened_and_name_no_tenant(
    tmp_path: Path, tenant_labels: bool
) -> None:
    env = {"MNEMORA_METRICS_TENANT_LABELS": "true"} if tenant_labels else {}
    server = start_server(tmp_path / "data", workers=2, threads=4, **env)
    try:
        key = server.tenant("acme-secret-tenant", burst_per_second=3)
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.url, headers=headers) as client:
            for i in range(3):  # within the burst of three a second
                body = {"agent_id": "bot", "session_id": f"s{i}", "data": {}}
                assert client.post("/v1/state", json=body).status_code == 201
            time.sleep(1.1)
            body = {"agent_id": "bot", "content": "hello there"}
            assert client.post("/v1/memory/semantic", json=body).status_code == 201
            time.sleep(1.1)
            statuses = [client.get("/v1/usage").status_code for _ in range(6)]
        assert 429 in statuses
        assert httpx.get(server.url + "/metrics").status_code == 401
        assert httpx.get(server.url + "/metrics", headers=headers).status_code == 401
        answer = httpx.get(
            server.url + "/metrics", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/plain")
        text = answer.text
    finally:
        server.stop()
    found = samples(text)
    posts = found["mnemora_requests_total"]
    state_posts = sum(
        v
        for labels, v in posts.items()
        if ("route", "/v1/state") in labels and ("method", "POST") in labels
    )
    assert state_posts == 3, "every worker's requests, summed"
    assert sum(found["mnemora_rate_limited_total"].values()) >= 1
    assert (("reason", "burst"),) in found["mnemora_rate_limited_total"]
    embedded = found["mnemora_embedding_duration_seconds_count"]
    assert sum(embedded.values()) >= 1
    latency = found["mnemora_request_duration_seconds_count"]
    assert any(("route", "/v1/memory/semantic") in labels for labels in latency)
    assert key not in text
    if tenant_labels:
        assert "acme-secret-tenant" in text
    else:
        assert "acme-secret-tenant" not in text, "no tenant is named by default"


def test_store_errors_are_counted_by_backend(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the database directory should be")
    store = SqliteStateStore(blocked / "state.db")
    with pytest.raises(UnavailableError) as raised:
        store.get("t", "a", "s", 0.0)
    assert backend_of(raised.value) == "sqlite"
    assert backend_of(UnavailableError("raised outside any store")) == "unknown"
