"""The maintenance function: schema migrations (also as the template's CloudFormation custom
resource, so a deploy migrates before the API takes traffic), the scheduled jobs, and the
operator's provisioning (the admin HTTP API is not exposed behind API Gateway; invoking this
function takes ``lambda:InvokeFunction`` on it, which IAM grants to operators only).

Tasks, as the invocation's payload:

- ``{"task": "migrate"}``, ``{"task": "tier-episodes"}``,
  ``{"task": "index-tenants", "min_vectors": N}``;
- ``{"task": "create-tenant", "tenant_id": ..., "tier": ...}`` (answers with its first key,
  shown only in this answer), ``{"task": "create-key", "tenant_id": ..., "scope": ...}``,
  ``{"task": "list-keys", "tenant_id": ...}``, ``{"task": "revoke-key", "key_id": ...}``,
  ``{"task": "usage", "tenant_id": ...}``, ``{"task": "delete-tenant", "tenant_id": ...}``.

A CloudFormation custom-resource event migrates on ``Create`` and ``Update`` (nothing on
``Delete``) and reports to CloudFormation.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from typing import Any

from mnemora_server.aws_lambda.environment import lambda_settings
from mnemora_server.embeddings.registry import build_embedder
from mnemora_server.services.registry import Services
from mnemora_server.stores.registry import open_stores

_log = logging.getLogger(__name__)


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Run one task, or answer a CloudFormation custom-resource event."""
    if "RequestType" in event:
        return _custom_resource(event, context)
    task = event.get("task")
    if task == "migrate":
        return migrate()
    if task == "tier-episodes":
        return tier_episodes()
    if task == "index-tenants":
        return index_tenants(event.get("min_vectors"))
    if task in _PROVISIONING:
        return _provision(str(task), event)
    raise ValueError(
        f"unknown task {task!r}: migrate, tier-episodes, index-tenants or one of "
        f"{sorted(_PROVISIONING)}"
    )


def migrate() -> dict[str, Any]:
    """Create or upgrade every store's schema (and the PostgreSQL application role)."""
    settings = lambda_settings()
    stores = open_stores(settings, dimension=build_embedder(settings).dimension)
    try:
        stores.setup()
    finally:
        stores.close()
    return {"migrated": [name for name, _ in stores.named()]}


def tier_episodes() -> dict[str, Any]:
    """Move episodes past the hot retention to the cold tier."""
    settings = lambda_settings()
    embedder = build_embedder(settings)
    stores = open_stores(settings, dimension=embedder.dimension)
    try:
        report = Services.build(settings, stores, embedder, time.time).episodic.tier()
    finally:
        stores.close()
    return {
        "agents": report.agents,
        "segments": report.segments,
        "episodes_moved": report.episodes,
        "orphans_removed": report.orphans_removed,
    }


def index_tenants(min_vectors: int | None) -> dict[str, Any]:
    """Give the largest tenants HNSW indexes of their own (PostgreSQL semantic store)."""
    from mnemora_server.stores.postgres.tenant_indexes import DEFAULT_MIN_VECTORS, TenantIndexes

    settings = lambda_settings()
    vector_url = settings.vector_url or ""
    if not vector_url.startswith(("postgresql://", "postgres://")):
        raise ValueError("index-tenants needs the PostgreSQL semantic store")
    report = TenantIndexes(settings.postgres_admin_url or vector_url).sync(
        int(min_vectors or DEFAULT_MIN_VECTORS)
    )
    return {"created": report.created, "kept": report.kept, "dropped": report.dropped}


_PROVISIONING = {
    "create-tenant",
    "create-key",
    "list-keys",
    "revoke-key",
    "usage",
    "delete-tenant",
}


def _provision(task: str, event: dict[str, Any]) -> dict[str, Any]:
    """One provisioning task, through the services the admin API uses."""
    from mnemora_server.schemas.admin import IssuedKeyOut, KeyOut, TenantOut

    settings = lambda_settings()
    embedder = build_embedder(settings)
    stores = open_stores(settings, dimension=embedder.dimension)
    services = Services.build(settings, stores, embedder, time.time)
    accounts, now = services.accounts, time.time()

    def issued_key(tenant_id: str, scope: str = "read_write") -> dict[str, Any]:
        issued = accounts.create_key(tenant_id, scope=scope)  # type: ignore[arg-type]
        shown = KeyOut.of(issued.record, now).model_dump()
        return IssuedKeyOut(**shown, api_key=issued.api_key).model_dump()

    try:
        tenant_id = str(event.get("tenant_id", ""))
        if task == "create-tenant":
            tenant = accounts.create_tenant(
                tenant_id, str(event.get("tier", "free")), event.get("limits")
            )
            out = TenantOut.of(tenant, accounts.limits_of(tenant)).model_dump()
            return {"tenant": out, "key": issued_key(tenant_id)}
        if task == "create-key":
            return {"key": issued_key(tenant_id, str(event.get("scope", "read_write")))}
        if task == "list-keys":
            return {"keys": [KeyOut.of(k, now).model_dump() for k in accounts.list_keys(tenant_id)]}
        if task == "revoke-key":
            accounts.revoke_key(str(event.get("key_id", "")))
            return {"revoked": event.get("key_id")}
        if task == "usage":
            tenant = accounts.get_tenant(tenant_id)
            limits = accounts.limits_of(tenant)
            return services.usage.report(tenant.tenant_id, tenant.tier, limits)
        return services.erasure.delete_tenant(tenant_id)
    finally:
        stores.close()


def _custom_resource(event: dict[str, Any], context: Any) -> dict[str, Any]:
    status, reason, data = "SUCCESS", "", {}
    try:
        if event["RequestType"] in ("Create", "Update"):
            data = migrate()
    except Exception as exc:
        _log.exception("migration failed")
        status, reason = "FAILED", f"migration failed: {exc}"[:1000]
    answer = {
        "Status": status,
        "Reason": reason or "see the function's log",
        "PhysicalResourceId": event.get("PhysicalResourceId") or "mnemora-migrations",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"Migrated": ",".join(data.get("migrated", []))},
    }
    body = json.dumps(answer).encode()
    request = urllib.request.Request(  # noqa: S310 - CloudFormation's pre-signed https URL
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        response.read()
    return answer
