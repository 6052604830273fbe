"""``mnemora-server`` provisioning commands over the embedded default."""

from __future__ import annotations

import json
from pathlib import Path

import falcon.testing
import pytest

from mnemora_server.app import create_app
from mnemora_server.cli import main
from mnemora_server.settings import Settings


@pytest.fixture(autouse=True)
def data_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("MNEMORA_DATA_DIR", str(data_dir))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_tenant_and_key_lifecycle(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    assert run(capsys, "migrate")[0] == 0
    code, out = run(capsys, "tenants", "create", "acme", "--tier", "starter", "--with-key")
    assert code == 0
    key = out.strip().splitlines()[-1].strip()
    assert key.startswith("mnm_")
    client = falcon.testing.TestClient(create_app(Settings(data_dir=data_dir)))
    headers = {"Authorization": f"Bearer {key}"}
    assert client.simulate_get("/v1/usage", headers=headers).json["data"]["tier"] == "starter"

    code, out = run(capsys, "tenants", "create", "acme", "--if-missing", "--with-key")
    assert code == 0
    assert "mnm_" not in out, "an existing tenant gets no new key silently"

    code, out = run(capsys, "keys", "create", "acme", "--scope", "read_only")
    reader = json.loads(out)
    assert reader["scope"] == "read_only"
    code, out = run(capsys, "keys", "list", "acme")
    listed = json.loads(out)
    assert len(listed) == 2
    assert key not in out
    first_id = next(k["key_id"] for k in listed if k["scope"] == "read_write")
    assert run(capsys, "keys", "revoke", first_id)[0] == 0
    assert client.simulate_get("/v1/usage", headers=headers).status_code == 401

    code, out = run(capsys, "usage", "acme")
    assert json.loads(out)["api_calls_today"] == 1
    code, out = run(capsys, "usage", "acme", "--daily", "3")
    history = json.loads(out)
    assert [d["calls"] for d in history] == [0, 0, 1]
    assert history[-1]["vectors"] == 0

    code, out = run(capsys, "tenants", "list")
    assert [t["tenant_id"] for t in json.loads(out)] == ["acme"]
    code, out = run(capsys, "tenants", "delete", "acme")
    assert json.loads(out)["keys_revoked"] == 1
    assert json.loads(run(capsys, "tenants", "list")[1]) == []


def test_errors_are_reported_not_raised(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tenants", "show", "nobody"]) == 2
    assert "NOT_FOUND" in capsys.readouterr().err
    assert main(["tenants", "create", "bad id"]) == 2
    assert main(["tenants", "create", "x", "--limits", "{not json"]) == 2
