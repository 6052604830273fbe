"""The Lambda path: API Gateway (REST API v1 and HTTP API v2 events) -> the authorizer ->
the API handler, in process, over DynamoDB, S3 and Secrets Manager from moto and the embedded
PostgreSQL. The SDK's calls give the answers they give over HTTP; the tenant comes from the
authorizer's answer alone; revoked keys stop within the authorizer's cache TTL."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from psycopg.conninfo import conninfo_to_dict

from mnemora import MnemoraSync
from mnemora_server.app import create_app
from mnemora_server.aws_lambda import api, authorizer, environment, maintenance
from tests.aws.gateway import Gateway, forged_event
from tests.aws.template import authorizer_cache_seconds
from tests.conftest import ADMIN_TOKEN, Clock, Postgres

VERSIONS = ["1.0", "2.0"]


@dataclass
class Deployment:
    """The functions' environment and an operator's HTTP view of the same stores."""

    moto_url: str
    database: Postgres
    admin_http: httpx.Client
    clock: Clock

    def tenant(self, tenant_id: str, **limits: int) -> str:
        body: dict[str, Any] = {"tenant_id": tenant_id, "tier": "pro"}
        if limits:
            body["limits"] = limits
        assert self.admin_http.post("/v1/admin/tenants", json=body).status_code == 201
        issued = self.admin_http.post(f"/v1/admin/tenants/{tenant_id}/keys", json={})
        return str(issued.json()["data"]["api_key"])

    def gateway(self, version: str, ttl: float | None = None) -> Gateway:
        return Gateway(
            version=version,
            authorizer=authorizer.handler,
            api=api.handler,
            ttl=authorizer_cache_seconds() if ttl is None else ttl,
            clock=self.clock,
        )

    def through_lambda(self, key: str, gateway: Gateway) -> MnemoraSync:
        http = httpx.Client(transport=gateway, base_url="https://api.example.com")
        return MnemoraSync(
            api_key=key, base_url="https://api.example.com", http_client=http, max_retries=0
        )

    def over_http(self, key: str) -> MnemoraSync:
        http = httpx.Client(transport=self.admin_http._transport, base_url="http://mnemora.local")
        return MnemoraSync(
            api_key=key, base_url="http://mnemora.local", http_client=http, max_retries=0
        )


def _clear_caches() -> None:
    environment.lambda_settings.cache_clear()
    authorizer._authenticator.cache_clear()
    api._handler.cache_clear()


@pytest.fixture
def deployment(
    moto_url: str, postgres: Postgres, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Deployment]:
    database = postgres.fresh_database()
    app, admin = conninfo_to_dict(database.app_url), conninfo_to_dict(database.admin_url)
    secrets = boto3.client("secretsmanager", endpoint_url=moto_url, region_name="us-east-1")
    suffix = uuid.uuid4().hex[:10]

    def secret(name: str, username: str, password: str) -> str:
        value = {
            "username": username,
            "password": password,
            "host": app["host"],
            "port": int(app.get("port") or 5432),
            "dbname": app["dbname"],
        }
        return str(
            secrets.create_secret(Name=f"{name}-{suffix}", SecretString=json.dumps(value))["ARN"]
        )

    table, bucket = f"mnemora-{suffix}", f"mnemora-cold-{suffix}"
    environment_variables = {
        "MNEMORA_ACCOUNTS_URL": f"dynamodb://{table}?endpoint_url={moto_url}",
        "MNEMORA_STATE_URL": f"dynamodb://{table}?endpoint_url={moto_url}",
        "MNEMORA_EPISODES_URL": f"dynamodb://{table}?endpoint_url={moto_url}",
        "MNEMORA_COLD_URL": f"s3://{bucket}/episodes?endpoint_url={moto_url}",
        "MNEMORA_POSTGRES_SECRET_ARN": secret("mnemora-app", "mnemora_app", "app-password-1"),
        "MNEMORA_POSTGRES_ADMIN_SECRET_ARN": secret("mnemora-master", admin["user"], ""),
        "MNEMORA_POSTGRES_SSLMODE": "disable",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": moto_url,
        "MNEMORA_EMBEDDER": "hash",
        "MNEMORA_EMBEDDING_DIMENSION": "384",
        "MNEMORA_ACCESS_LOG": "false",
        "MNEMORA_DATA_DIR": str(tmp_path / "no-data-here"),
    }
    for name, value in environment_variables.items():
        monkeypatch.setenv(name, value)
    _clear_caches()
    assert maintenance.handler({"task": "migrate"})["migrated"]
    clock = Clock()
    operator = create_app(
        environment.lambda_settings().model_copy(update={"admin_token": ADMIN_TOKEN}), clock=clock
    )
    http = httpx.Client(
        transport=httpx.WSGITransport(app=operator),
        base_url="http://mnemora.local",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    yield Deployment(moto_url, database, http, clock)
    http.close()
    _clear_caches()


_VOLATILE = {
    "id",
    "created_at",
    "updated_at",
    "ingested_at",
    "timestamp",
    "expires_at",
    "score",
    "billing_period",
}


def _stable(value: Any) -> Any:
    """A result without what differs between two runs (ids, times, scores)."""
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    if isinstance(value, dict):
        return {
            k: _stable(v)
            for k, v in sorted(value.items())
            if k not in _VOLATILE and k != "tenant_id"
        }
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def _scenario(client: MnemoraSync) -> list[Any]:
    """What an agent does in its first minutes, through the SDK."""
    results: list[Any] = []
    results.append(client.store_state("bot", {"step": 1, "ticket": "T-1"}, session_id="s1"))
    results.append(client.get_state("bot", session_id="s1"))
    results.append(client.update_state("bot", {"step": 2}, session_id="s1", version=1))
    results.append(client.list_sessions("bot"))
    for text in ("Refunds take five business days", "Plans can be changed monthly"):
        results.append(client.store_memory("bot", text, metadata={"kb": "billing"}))
    results.append(client.search_memory("how long do refunds take", agent_id="bot", top_k=1))
    results.append(
        client.store_episode("bot", "s1", "conversation", {"role": "user", "text": "hi"})
    )
    results.append(client.get_episodes("bot", session_id="s1"))
    results.append(client.store_procedure("bot", "refund", "tool", {"steps": ["check", "pay"]}))
    results.append(client.list_procedures("bot"))
    results.append(client.get_usage())
    return [_stable(result) for result in results]


@pytest.mark.parametrize("version", VERSIONS)
def test_the_sdk_gets_the_same_answers_through_lambda_as_over_http(
    deployment: Deployment, version: str
) -> None:
    lambda_key = deployment.tenant("acme")
    http_key = deployment.tenant("globex")
    with deployment.through_lambda(lambda_key, deployment.gateway(version)) as client:
        through_lambda = _scenario(client)
    with deployment.over_http(http_key) as client:
        over_http = _scenario(client)
    assert through_lambda == over_http
    assert through_lambda[-1]["api_calls_today"] == 12, "metering counts every Lambda call"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_tenant_named_in_the_request_is_ignored(deployment: Deployment, version: str) -> None:
    acme = deployment.tenant("acme")
    globex = deployment.tenant("globex")
    gateway = deployment.gateway(version)
    forged = {
        "X-Tenant-Id": "globex",
        "X-Mnemora-Tenant": "globex",
        "Authorization": f"Bearer {acme}",
    }
    with httpx.Client(
        transport=gateway, base_url="https://api.example.com", headers=forged
    ) as http:
        written = http.post(
            "/v1/state?tenant_id=globex",
            json={
                "agent_id": "bot",
                "session_id": "s",
                "data": {"who": "acme"},
                "tenant_id": "globex",
            },
        )
        assert written.status_code == 201, written.text
    with deployment.through_lambda(globex, gateway) as client:
        assert client.list_sessions("bot") == [], "nothing reached globex"
    with deployment.through_lambda(acme, gateway) as client:
        assert client.get_state("bot", session_id="s").data == {"who": "acme"}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_request_without_the_authorizers_context_is_refused(
    deployment: Deployment, version: str
) -> None:
    deployment.tenant("acme")
    for claims in (
        None,
        {},
        {"tenant_id": "acme"},
        {"tenant_id": "acme", "key_id": "k", "scope": "admin", "tier": "pro", "limits": "{}"},
    ):
        answer = api.handler(forged_event(version, "/v1/state", claims), None)
        assert answer["statusCode"] == 401, (claims, answer)
        assert "UNAUTHORIZED" in answer["body"]
    bearer = forged_event(version, "/v1/state", None)
    bearer["headers"]["authorization"] = f"Bearer {deployment.tenant('globex')}"
    assert api.handler(bearer, None)["statusCode"] == 401, "a valid key alone does not open the API"


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_expired_and_missing_keys_are_denied(deployment: Deployment, version: str) -> None:
    gateway = deployment.gateway(version, ttl=0)
    for headers in (
        {"Authorization": "Bearer mnm_" + "x" * 43},
        {"Authorization": "Basic abc"},
        {},
    ):
        with httpx.Client(
            transport=gateway, base_url="https://api.example.com", headers=headers
        ) as http:
            assert http.get("/v1/usage").status_code in (401, 403)
    deployment.tenant("acme")
    expiring = deployment.admin_http.post(
        "/v1/admin/tenants/acme/keys", json={"expires_at": "2099-01-01T00:00:00Z"}
    ).json()["data"]["api_key"]
    with deployment.through_lambda(expiring, gateway) as client:
        assert client.get_usage().tenant_id == "acme"
    decision = authorizer.handler(
        {
            "type": "REQUEST",
            "methodArn": "arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/usage",
            "headers": {"Authorization": f"Bearer {expiring}"},
        },
        None,
    )
    assert decision["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert (
        decision["policyDocument"]["Statement"][0]["Resource"]
        == "arn:aws:execute-api:us-east-1:1:api/prod/*"
    )
    assert decision["context"]["tenant_id"] == "acme"
    assert expiring not in json.dumps(decision), "the key itself never travels on"


@pytest.mark.parametrize("version", VERSIONS)
def test_a_revoked_key_stops_within_the_authorizer_cache_ttl(
    deployment: Deployment, version: str
) -> None:
    key = deployment.tenant("acme")
    gateway = deployment.gateway(version)
    assert gateway.ttl == authorizer_cache_seconds() > 0
    with deployment.through_lambda(key, gateway) as client:
        client.get_usage()
        key_id = deployment.admin_http.get("/v1/admin/tenants/acme/keys").json()["data"]["keys"][0][
            "key_id"
        ]
        assert deployment.admin_http.delete(f"/v1/admin/keys/{key_id}").status_code == 204
        deployment.clock.advance(gateway.ttl + 1)
        with pytest.raises(Exception, match=r"403|Forbidden"):
            client.get_usage()
    uncached = deployment.gateway(version, ttl=0)
    with (
        deployment.through_lambda(key, uncached) as client,
        pytest.raises(Exception, match=r"403|Forbidden"),
    ):
        client.get_usage()


def test_rate_limits_hold_behind_the_authorizer(deployment: Deployment) -> None:
    key = deployment.tenant("tiny", burst_per_second=2)
    gateway = deployment.gateway("2.0")
    with httpx.Client(
        transport=gateway,
        base_url="https://api.example.com",
        headers={"Authorization": f"Bearer {key}"},
    ) as http:
        statuses = [http.get("/v1/usage").status_code for _ in range(6)]
    assert 429 in statuses
    assert gateway.authorizer_calls == 1, "one authorizer call per key within the TTL"


def test_migration_runs_as_a_cloudformation_custom_resource(deployment: Deployment) -> None:
    received: list[dict[str, Any]] = []

    class CloudFormation(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), CloudFormation)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    event = {
        "RequestType": "Create",
        "ResponseURL": f"http://127.0.0.1:{server.server_port}/response",
        "StackId": "arn:aws:cloudformation:us-east-1:1:stack/mnemora/1",
        "RequestId": "r1",
        "LogicalResourceId": "Migrations",
        "ResourceType": "Custom::Migrations",
    }
    try:
        maintenance.handler(event)
        maintenance.handler(
            {**event, "RequestType": "Delete", "PhysicalResourceId": "mnemora-migrations"}
        )
    finally:
        server.shutdown()
    assert [r["Status"] for r in received] == ["SUCCESS", "SUCCESS"]
    assert "semantic" in received[0]["Data"]["Migrated"]
    import psycopg

    with psycopg.connect(deployment.database.admin_url) as conn:
        row = conn.execute(
            "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'mnemora_app'"
        ).fetchone()
    assert row == (True,), "the application role has the password of its secret"


def test_the_scheduled_jobs_run(deployment: Deployment) -> None:
    key = deployment.tenant("acme")
    with deployment.through_lambda(key, deployment.gateway("2.0")) as client:
        client.store_episode("bot", "s1", "action", {"n": 1}, timestamp="2020-01-01T00:00:00Z")
    moved = maintenance.handler({"task": "tier-episodes"})
    assert moved["episodes_moved"] == 1
    indexed = maintenance.handler({"task": "index-tenants", "min_vectors": 1})
    assert indexed == {"created": [], "kept": [], "dropped": 0}
    with pytest.raises(ValueError, match="unknown task"):
        maintenance.handler({"task": "rm -rf"})


def test_the_operator_provisions_and_rotates_keys_by_invoking_the_maintenance_function(
    deployment: Deployment,
) -> None:
    created = maintenance.handler({"task": "create-tenant", "tenant_id": "acme", "tier": "pro"})
    assert created["tenant"]["tier"] == "pro"
    first = created["key"]["api_key"]
    gateway = deployment.gateway("2.0", ttl=0)
    with deployment.through_lambda(first, gateway) as client:
        client.store_state("bot", {"n": 1})
    second = maintenance.handler({"task": "create-key", "tenant_id": "acme"})["key"]
    listed = maintenance.handler({"task": "list-keys", "tenant_id": "acme"})["keys"]
    assert [k["active"] for k in listed] == [True, True]
    assert all("api_key" not in k for k in listed), "a listing never holds a key"
    old = next(k["key_id"] for k in listed if k["key_id"] != second["key_id"])
    assert maintenance.handler({"task": "revoke-key", "key_id": old}) == {"revoked": old}
    with deployment.through_lambda(first, gateway) as client, pytest.raises(Exception, match="403"):
        client.get_state("bot")
    with deployment.through_lambda(second["api_key"], gateway) as client:
        assert client.get_state("bot").data == {"n": 1}
    usage = maintenance.handler({"task": "usage", "tenant_id": "acme"})
    assert usage["api_calls_today"] == 2, "the denied call never reached the API"
    with pytest.raises(Exception, match="already exists"):
        maintenance.handler({"task": "create-tenant", "tenant_id": "acme"})
    deleted = maintenance.handler({"task": "delete-tenant", "tenant_id": "acme"})
    assert deleted["deleted"]["state"] == 1
    assert deleted["keys_revoked"] == 1
    with (
        deployment.through_lambda(second["api_key"], gateway) as client,
        pytest.raises(Exception, match="403"),
    ):
        client.get_usage()
