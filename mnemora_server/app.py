"""The one wiring point: settings and stores in, a Falcon WSGI app out."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import falcon

from mnemora_server import __version__, failpoints
from mnemora_server.auth import Authenticator
from mnemora_server.console import console_routes
from mnemora_server.embeddings.base import Embedder
from mnemora_server.embeddings.registry import ready_embedder
from mnemora_server.embeddings.unavailable import UnavailableEmbedder
from mnemora_server.errors import MnemoraServerError, UnavailableError
from mnemora_server.limits import CallMeter, StorageQuota
from mnemora_server.metrics import (
    STORE_ERRORS,
    MetricsMiddleware,
    MetricsResource,
    TimedEmbedder,
    backend_of,
)
from mnemora_server.middleware import (
    AccessLogMiddleware,
    AuthMiddleware,
    EnvelopeMiddleware,
    IdempotencyMiddleware,
    UnreadBodyMiddleware,
    access_logger,
)
from mnemora_server.openapi import build_openapi
from mnemora_server.resources.admin import (
    KeyResource,
    TenantAgentsResource,
    TenantDailyUsageResource,
    TenantKeysResource,
    TenantResource,
    TenantsResource,
    TenantUsageResource,
)
from mnemora_server.resources.checkpoints import (
    CheckpointCollectionResource,
    CheckpointGetResource,
    CheckpointListResource,
    CheckpointWritesResource,
    RunsDeleteResource,
    ThreadCopyResource,
    ThreadsDeleteResource,
    ThreadsPruneResource,
)
from mnemora_server.resources.docs import DocsResource, RootResource, swagger_ui_assets
from mnemora_server.resources.episodes import (
    AgentEpisodesResource,
    EpisodeCollectionResource,
    EpisodeSearchResource,
    SessionEpisodesResource,
    SummarizeResource,
)
from mnemora_server.resources.items import StoreBatchResource, StoreReadResource
from mnemora_server.resources.memory import (
    AgentMemoryResource,
    MemorySearchResource,
    MemoryWriteResource,
)
from mnemora_server.resources.procedures import (
    AgentProceduresResource,
    ProcedureCollectionResource,
    ProcedureResource,
    ProcedureVersionsResource,
)
from mnemora_server.resources.semantic import (
    EmbeddingsResource,
    SemanticBatchDeleteResource,
    SemanticBatchGetResource,
    SemanticBatchResource,
    SemanticCollectionResource,
    SemanticItemResource,
    SemanticSearchResource,
)
from mnemora_server.resources.state import (
    AgentStateResource,
    SessionsResource,
    SessionStateResource,
    StateCollectionResource,
)
from mnemora_server.resources.system import (
    DailyUsageResource,
    HealthResource,
    OpenApiResource,
    UsageResource,
)
from mnemora_server.resources.transfer import ExportResource, ImportResource
from mnemora_server.services.registry import Services
from mnemora_server.services.retries import IdempotencyService
from mnemora_server.services.usage import UsageService
from mnemora_server.settings import Settings
from mnemora_server.stores.base import Stores
from mnemora_server.stores.registry import open_stores

_log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    411: "LENGTH_REQUIRED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


def _error_envelope(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _handle_mnemora_error(
    req: falcon.Request, resp: falcon.Response, exc: MnemoraServerError, params: dict[str, Any]
) -> None:
    resp.status = falcon.code_to_http_status(exc.status)
    resp.media = _error_envelope(exc.code, exc.message, exc.details)
    if isinstance(exc, UnavailableError):
        STORE_ERRORS.labels(backend_of(exc)).inc()
    for name, value in exc.headers.items():
        resp.set_header(name, value)
    if exc.status >= 500:
        _log.warning(
            "request %s failed: %s",
            req.context.get("request_id"),
            exc.message,
            exc_info=exc.__cause__ is not None,
        )


def _handle_http_error(
    req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError, params: dict[str, Any]
) -> None:
    status = falcon.http_status_to_code(exc.status)
    code = _HTTP_CODES.get(status, "ERROR")
    message = exc.title or "error"
    if exc.description:
        message = f"{message}: {exc.description}"
    resp.status = exc.status
    resp.media = _error_envelope(code, message)
    resp.set_headers(exc.headers or {})


def _handle_unexpected(
    req: falcon.Request, resp: falcon.Response, exc: Exception, params: dict[str, Any]
) -> None:
    request_id = req.context.get("request_id")
    _log.exception("unexpected error in request %s", request_id)
    resp.status = falcon.HTTP_500
    resp.media = _error_envelope(
        "INTERNAL_ERROR", f"unexpected server error; quote request id {request_id}"
    )


def build_routes(
    settings: Settings,
    stores: Stores,
    embedder: Embedder,
    clock: Callable[[], float],
    services: Services | None = None,
) -> list[tuple[str, object]]:
    """Every route of the API with its resource, wired to ``services`` (built over
    ``stores`` when not given)."""
    body = settings.max_body_bytes
    services = services or Services.build(settings, stores, embedder, clock)
    accounts, erasure, semantic = services.accounts, services.erasure, services.semantic
    state, usage = services.state, services.usage
    checkpoints, checkpoint_body = services.checkpoints, settings.max_checkpoint_bytes
    return [
        ("/v1/health", HealthResource(services.health, __version__)),
        ("/v1/usage", UsageResource(usage)),
        ("/v1/usage/daily", DailyUsageResource(usage)),
        ("/v1/state", StateCollectionResource(state, body)),
        ("/v1/state/{agent_id}", AgentStateResource(state, body)),
        ("/v1/state/{agent_id}/sessions", SessionsResource(state)),
        ("/v1/state/{agent_id}/{session_id}", SessionStateResource(state)),
        ("/v1/memory/semantic", SemanticCollectionResource(semantic, body)),
        ("/v1/memory/semantic/batch", SemanticBatchResource(semantic, body)),
        ("/v1/memory/semantic/batch/get", SemanticBatchGetResource(semantic, body)),
        ("/v1/memory/semantic/batch/delete", SemanticBatchDeleteResource(semantic, body)),
        ("/v1/memory/semantic/search", SemanticSearchResource(semantic, body)),
        ("/v1/memory/semantic/{memory_id}", SemanticItemResource(semantic, body)),
        ("/v1/embeddings", EmbeddingsResource(semantic, embedder.name, body)),
        ("/v1/memory/episodic", EpisodeCollectionResource(services.episodic, body)),
        ("/v1/memory/episodic/search", EpisodeSearchResource(services.episodic, body)),
        ("/v1/memory/episodic/{agent_id}", AgentEpisodesResource(services.episodic)),
        (
            "/v1/memory/episodic/{agent_id}/sessions/{session_id}",
            SessionEpisodesResource(services.episodic, body),
        ),
        ("/v1/memory/episodic/{agent_id}/summarize", SummarizeResource(services.summaries, body)),
        ("/v1/memory/procedural", ProcedureCollectionResource(services.procedural, body)),
        ("/v1/memory/procedural/{agent_id}", AgentProceduresResource(services.procedural)),
        ("/v1/memory/procedural/{agent_id}/{name}", ProcedureResource(services.procedural)),
        (
            "/v1/memory/procedural/{agent_id}/{name}/versions",
            ProcedureVersionsResource(services.procedural),
        ),
        ("/v1/memory", MemoryWriteResource(services.unified, body)),
        ("/v1/memory/search", MemorySearchResource(services.unified, body)),
        ("/v1/memory/{agent_id}", AgentMemoryResource(services.unified, erasure)),
        ("/v1/checkpoints", CheckpointCollectionResource(checkpoints, checkpoint_body)),
        ("/v1/checkpoints/writes", CheckpointWritesResource(checkpoints, checkpoint_body)),
        ("/v1/checkpoints/get", CheckpointGetResource(checkpoints, body)),
        ("/v1/checkpoints/list", CheckpointListResource(checkpoints, body)),
        ("/v1/checkpoints/threads/delete", ThreadsDeleteResource(checkpoints, body)),
        ("/v1/checkpoints/threads/copy", ThreadCopyResource(checkpoints, body)),
        ("/v1/checkpoints/threads/prune", ThreadsPruneResource(checkpoints, body)),
        ("/v1/checkpoints/runs/delete", RunsDeleteResource(checkpoints, body)),
        ("/v1/store/batch", StoreBatchResource(services.items, body)),
        ("/v1/store/read", StoreReadResource(services.items, body)),
        ("/v1/export", ExportResource(services.transfer)),
        ("/v1/import", ImportResource(services.transfer, settings.max_import_bytes)),
        ("/v1/admin/tenants", TenantsResource(accounts, body)),
        ("/v1/admin/tenants/{tenant_id}", TenantResource(accounts, erasure, body)),
        ("/v1/admin/tenants/{tenant_id}/keys", TenantKeysResource(accounts, clock, body)),
        ("/v1/admin/tenants/{tenant_id}/usage", TenantUsageResource(accounts, usage, body)),
        (
            "/v1/admin/tenants/{tenant_id}/usage/daily",
            TenantDailyUsageResource(accounts, usage, body),
        ),
        ("/v1/admin/tenants/{tenant_id}/agents", TenantAgentsResource(accounts, usage, body)),
        ("/v1/admin/keys/{key_id}", KeyResource(accounts, body)),
    ]


def create_app(
    settings: Settings | None = None,
    stores: Stores | None = None,
    *,
    clock: Callable[[], float] = time.time,
    embedder: Embedder | None = None,
    tenant_claims: Callable[[falcon.Request], Mapping[str, Any] | None] | None = None,
) -> falcon.App[falcon.Request, falcon.Response]:
    """Build the WSGI application.

    Loads the embedding model (see :func:`ready_embedder`); stores connect on first use, and
    schemas are created by ``mnemora-server migrate`` (or :meth:`Stores.setup`).

    Args:
        settings: Configuration; read from the environment when omitted.
        stores: Stores to use; built from the settings' URLs when omitted.
        clock: Source of the current time (seconds since the epoch).
        embedder: The text embedder; built from the settings when omitted.
        tenant_claims: Behind an API gateway's authorizer, how to read the caller it vouched
            for from a request (see :mod:`mnemora_server.aws_lambda`); the API key is then
            not looked at. ``None`` (a server of its own): the API key decides the tenant.

    Raises:
        ValueError: If the embedder's dimension differs from the semantic store's.
        UnavailableError: The model cannot be loaded and ``embedder_required`` is set.
    """
    settings = settings or Settings()
    failpoints.arm(settings.failpoints)
    embedder = ready_embedder(settings, embedder)
    if not isinstance(embedder, UnavailableEmbedder):
        embedder = TimedEmbedder(embedder)
    stores = stores or open_stores(settings, dimension=embedder.dimension)
    if stores.semantic.dimension != embedder.dimension:
        raise ValueError(
            f"the embedder makes {embedder.dimension}-d vectors; the semantic store holds "
            f"{stores.semantic.dimension}-d"
        )
    authenticator = Authenticator(stores.accounts, settings.tiers)
    middleware: list[Any] = [
        UnreadBodyMiddleware(
            drain_limit=4 * max(settings.max_body_bytes, settings.max_checkpoint_bytes)
        ),
        EnvelopeMiddleware(),
        *([AccessLogMiddleware(access_logger())] if settings.access_log else []),
        MetricsMiddleware(tenant_labels=settings.metrics_tenant_labels),
        AuthMiddleware(
            authenticator,
            CallMeter(stores.usage),
            StorageQuota(UsageService(stores, clock).storage_bytes, clock),
            settings.admin_token,
            clock,
            tenant_claims,
        ),
        IdempotencyMiddleware(
            IdempotencyService(
                stores.idempotency,
                ttl_seconds=settings.idempotency_ttl_seconds,
                lock_seconds=settings.idempotency_lock_seconds,
                clock=clock,
            ),
            max_body_bytes=settings.max_body_bytes,
        ),
    ]
    app: falcon.App[falcon.Request, falcon.Response] = falcon.App(middleware=middleware)
    app.req_options.strip_url_path_trailing_slash = True
    app.add_error_handler(Exception, _handle_unexpected)
    app.add_error_handler(falcon.HTTPError, _handle_http_error)
    app.add_error_handler(MnemoraServerError, _handle_mnemora_error)
    services = Services.build(settings, stores, embedder, clock)
    routes = build_routes(settings, stores, embedder, clock, services)
    for path, resource in routes:
        app.add_route(path, resource)
    for path, resource in console_routes(settings, services, clock):
        app.add_route(path, resource)
    app.add_route("/v1/openapi.json", OpenApiResource(build_openapi(routes, __version__)))
    app.add_route("/metrics", MetricsResource())
    app.add_route("/", RootResource())
    assets = swagger_ui_assets()
    if assets is not None:
        app.add_route("/docs", DocsResource())
        app.add_static_route("/docs/assets", str(assets))
    return app
