"""The maintenance function: schema migrations (also as the template's CloudFormation custom
resource, so a deploy migrates before the API takes traffic) and the scheduled jobs.

Invoked with ``{"task": "migrate"}``, ``{"task": "tier-episodes"}`` or
``{"task": "index-tenants", "min_vectors": N}``; a CloudFormation custom-resource event
migrates on ``Create`` and ``Update`` (nothing on ``Delete``) and reports to CloudFormation.
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
    raise ValueError(f"unknown task {task!r}: migrate, tier-episodes or index-tenants")


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
