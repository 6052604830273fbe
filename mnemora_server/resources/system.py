"""Health, usage and the OpenAPI document."""

from __future__ import annotations

from typing import Any

import falcon

from mnemora_server.http import operation, read_query, send
from mnemora_server.resources.context import tenant_of
from mnemora_server.schemas.usage import DailyUsage, DailyUsageQuery, Health, Usage
from mnemora_server.services.health import HealthService
from mnemora_server.services.usage import UsageService


class HealthResource:
    """``GET /v1/health``: checks every store; 503 if one is down."""

    auth = "public"

    def __init__(self, health: HealthService, version: str) -> None:
        self._health = health
        self._version = version

    @operation(summary="Check the server and its stores", response=Health, tags=("system",))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Report health."""
        results = self._health.check()
        healthy = all(value == "ok" for value in results.values())
        body = Health(status="ok" if healthy else "degraded", version=self._version, stores=results)
        send(resp, body, 200 if healthy else 503)


class UsageResource:
    """``GET /v1/usage``: the caller's usage and limits."""

    def __init__(self, service: UsageService) -> None:
        self._service = service

    @operation(summary="The caller's usage and limits", response=Usage, tags=("usage",))
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Report usage."""
        tenant = tenant_of(req)
        send(resp, self._service.report(tenant.tenant_id, tenant.tier, tenant.limits))


class DailyUsageResource:
    """``GET /v1/usage/daily``: the caller's usage per UTC day."""

    def __init__(self, service: UsageService) -> None:
        self._service = service

    @operation(
        summary="The caller's usage per day (calls, refusals, embeddings, vectors, storage)",
        query=DailyUsageQuery,
        response=DailyUsage,
        tags=("usage",),
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Report daily usage."""
        tenant = tenant_of(req)
        query = read_query(req, DailyUsageQuery)
        days = self._service.daily(tenant.tenant_id, query.days)
        send(resp, DailyUsage.model_validate({"tenant_id": tenant.tenant_id, "days": days}))


class OpenApiResource:
    """``GET /v1/openapi.json``."""

    auth = "public"

    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Serve the OpenAPI document (not enveloped: tools read it as is)."""
        resp.media = self._document
