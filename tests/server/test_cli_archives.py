"""``mnemora-server export`` to S3 and ``import`` from S3 (moto over HTTP), on both
configurations: the object holds exactly the tenant's export, and importing it into another
tenant reproduces the data."""

from __future__ import annotations

import gzip
import json
import uuid

import boto3
import pytest

from mnemora_server.cli import main
from tests.backends import Backend
from tests.conftest import Api


def test_export_to_s3_and_import_from_it(
    api: Api,
    backend: Backend,
    moto_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in backend.env().items():
        monkeypatch.setenv(name, value)
    acme = api.tenant("acme")
    api.tenant("globex")
    api.call(acme, "POST", "/v1/state", json={"agent_id": "bot", "data": {"plan": "pro"}})
    api.call(
        acme,
        "POST",
        "/v1/memory/semantic",
        json={"agent_id": "bot", "content": "Refunds take 5 days", "metadata": {"n": 1}},
    )
    api.call(
        acme,
        "POST",
        "/v1/memory/episodic",
        json={"agent_id": "bot", "session_id": "s", "type": "action", "content": "refunded"},
    )
    bucket = f"exports-{uuid.uuid4().hex[:8]}"
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    location = f"s3://{bucket}/mnemora/acme.ndjson.gz?endpoint_url={moto_url}"

    assert main(["export", "acme", "--output", location]) == 0
    assert main(["export", "acme"]) == 0  # the same export to stdout, to compare
    local = capsys.readouterr().out.splitlines()
    stored = s3.get_object(Bucket=bucket, Key="mnemora/acme.ndjson.gz")["Body"].read()
    lines = gzip.decompress(stored).decode().splitlines()
    assert lines[1:] == local[1:], "the same records (the header differs by its export time)"
    assert json.loads(lines[0])["format"] == "mnemora-export"
    assert {json.loads(line)["kind"] for line in lines} >= {"state", "semantic", "episode"}

    assert main(["import", "globex", location]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sum(report["stored"].values()) >= 3
    globex = api.keys["globex"]
    assert api.call(globex, "GET", "/v1/state/bot").json["data"]["data"] == {"plan": "pro"}
    memories = api.call(globex, "GET", "/v1/memory/semantic", params={"agent_id": "bot"})
    assert [m["content"] for m in memories.json["data"]["memories"]] == ["Refunds take 5 days"]
    episodes = api.call(globex, "GET", "/v1/memory/episodic/bot").json["data"]["episodes"]
    assert [e["content"] for e in episodes] == ["refunded"]

    missing = f"s3://{bucket}/mnemora/none.ndjson?endpoint_url={moto_url}"
    assert main(["import", "globex", missing]) == 2, "a missing object is an error, not a crash"
