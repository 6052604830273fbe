"""Falcon middleware: request ids and the envelope, authentication and limits, idempotency."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import falcon

from mnemora_server.auth import (
    Authenticator,
    admin_token_matches,
    bearer_token,
    tenant_from_claims,
)
from mnemora_server.errors import (
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)
from mnemora_server.http import body_bytes, operation_of
from mnemora_server.limits import CallMeter, StorageQuota, rate_limit_headers
from mnemora_server.services.retries import IdempotencyService, RequestOrigin

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def responder_of(resource: object, method: str) -> Any:
    """The responder a resource has for ``method`` (``None`` if Falcon would answer 405)."""
    return getattr(resource, "on_" + method.lower(), None)


class EnvelopeMiddleware:
    """Gives every request an id and every JSON answer its ``meta``."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Start the clock and settle the request id."""
        req.context.started = time.perf_counter()
        incoming = req.get_header("X-Request-ID")
        if incoming and _REQUEST_ID.fullmatch(incoming):
            req.context.request_id = incoming
        else:
            req.context.request_id = "req_" + uuid.uuid4().hex

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool
    ) -> None:
        """Add ``meta`` to the envelope and ``X-Request-ID`` to the headers."""
        request_id = req.context.get("request_id") or "req_" + uuid.uuid4().hex
        resp.set_header("X-Request-ID", request_id)
        media = resp.media
        if isinstance(media, dict) and ("data" in media or "error" in media):
            started = req.context.get("started") or time.perf_counter()
            media["meta"] = {
                "request_id": request_id,
                "latency_ms": round((time.perf_counter() - started) * 1000.0, 3),
            }


class UnreadBodyMiddleware:
    """Reads and discards what a refused request left of its body (a 401, a 413, a bad
    route), so that the next request on the same keep-alive connection starts clean.

    A WSGI application may not set ``Connection: close`` (gunicorn ignores it, waitress
    refuses it), so draining is the one remedy; bodies above ``drain_limit`` are left to the
    WSGI server, which reads or drops them with the connection.

    Args:
        drain_limit: The largest unread body that is drained.
    """

    def __init__(self, drain_limit: int) -> None:
        self._drain_limit = drain_limit

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool
    ) -> None:
        """Drain the rest of the body."""
        length = req.content_length or 0
        if 0 < length <= self._drain_limit and not req.bounded_stream.eof:
            req.bounded_stream.exhaust()


class AccessLogMiddleware:
    """One JSON line per request on the ``mnemora.access`` logger: method, route template
    (never the filled-in path, which may hold ids), status, latency and request id. No key,
    query string or body is ever logged.

    Args:
        logger: Where the lines go.
    """

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool
    ) -> None:
        """Log the finished request."""
        started = req.context.get("started") or time.perf_counter()
        self._logger.info(
            json.dumps(
                {
                    "method": req.method,
                    "route": req.uri_template or "(no route)",
                    "status": int(str(resp.status).split(" ", 1)[0]),
                    "ms": round((time.perf_counter() - started) * 1000.0, 2),
                    "request_id": req.context.get("request_id"),
                },
                separators=(",", ":"),
            )
        )


def access_logger() -> logging.Logger:
    """The ``mnemora.access`` logger, writing bare lines to standard error."""
    logger = logging.getLogger("mnemora.access")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


class AuthMiddleware:
    """Derives the tenant from the API key, counts the call, and enforces limits and scope.

    Resources declare ``auth = "tenant"`` (default), ``"admin"``, ``"public"`` or
    ``"console"`` (the operator console, which checks its own session cookies).

    Args:
        claims: Behind an API gateway's authorizer (AWS Lambda), reads the context the
            authorizer attached to the request; the tenant then comes from it alone, and a
            request without it is refused. ``None``: the tenant comes from the API key.
    """

    def __init__(
        self,
        authenticator: Authenticator,
        meter: CallMeter,
        quota: StorageQuota,
        admin_token: str | None,
        clock: Callable[[], float],
        claims: Callable[[falcon.Request], Mapping[str, Any] | None] | None = None,
    ) -> None:
        self._claims = claims
        self._authenticator = authenticator
        self._meter = meter
        self._quota = quota
        self._admin_token = admin_token
        self._clock = clock

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        """Authenticate before the responder runs."""
        if resource is None:
            return
        responder = responder_of(resource, req.method)
        kind = getattr(resource, "auth", "tenant")
        if kind in ("public", "console"):  # the console checks its own sessions
            return
        if kind == "admin":
            if not self._admin_token:
                raise NotFoundError("no such route")
            if not admin_token_matches(req.get_header("Authorization"), self._admin_token):
                raise UnauthorizedError("admin routes need 'Authorization: Bearer <admin token>'")
            return
        if responder is None:
            return
        now = self._clock()
        if self._claims is not None:
            # Behind a gateway's authorizer: the tenant is what it vouched for, never a
            # header, path, query or body of the request itself.
            tenant = tenant_from_claims(self._claims(req))
        else:
            tenant = self._authenticator.authenticate(
                bearer_token(req.get_header("Authorization")), now
            )
        req.context.tenant = tenant
        req.context.call = self._meter.admit(tenant, now)
        op = operation_of(responder)
        writes = op.writes if op is not None else req.method not in _READ_METHODS
        if writes and tenant.scope == "read_only":
            raise ForbiddenError("this key is read-only")
        if writes and req.method != "DELETE":
            self._quota.admit(tenant, req.content_length or 0)

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool
    ) -> None:
        """Add the ``X-RateLimit-*`` headers to every answer of a counted call."""
        call = req.context.get("call")
        if call is not None:
            for name, value in rate_limit_headers(call).items():
                resp.set_header(name, value)


class IdempotencyMiddleware:
    """Replays the first answer to a write retried with the same ``Idempotency-Key``.

    Keys are scoped by tenant: two tenants using the same key never meet (see
    :class:`~mnemora_server.services.retries.IdempotencyService`). Answers of 5xx and 429 are
    not remembered: a retry runs again, as the same request (``req.context.request_origin``),
    so that what it creates gets the first attempt's ids.
    """

    def __init__(self, service: IdempotencyService, *, max_body_bytes: int) -> None:
        self._service = service
        self._max_body_bytes = max_body_bytes

    def process_resource(
        self, req: falcon.Request, resp: falcon.Response, resource: object, params: dict[str, Any]
    ) -> None:
        """Claim the key, or answer with the remembered response."""
        key = req.get_header("Idempotency-Key")
        tenant = req.context.get("tenant")
        if key is None or tenant is None or req.method not in _WRITE_METHODS:
            return
        if getattr(resource, "streams_body", False):
            return  # idempotent by itself, and its body is too large to fingerprint
        if not _IDEMPOTENCY_KEY.fullmatch(key):
            raise ValidationError("Idempotency-Key must be 1-255 printable ASCII characters")
        digest = hashlib.sha256()
        for part in (req.method.encode(), req.relative_uri.encode()):
            digest.update(part + b"\0")
        limit = getattr(resource, "max_body_bytes", self._max_body_bytes)
        digest.update(body_bytes(req, limit))
        claim = self._service.claim(tenant.tenant_id, key, digest.hexdigest())
        if isinstance(claim, RequestOrigin):
            req.context.idempotency_key = key
            req.context.request_origin = claim
            return
        resp.status = falcon.code_to_http_status(claim.status)
        resp.media = json.loads(claim.body) if claim.body else None
        resp.set_header("Idempotent-Replayed", "true")
        resp.complete = True

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool
    ) -> None:
        """Remember the answer of a claimed key, or release the claim."""
        key = req.context.get("idempotency_key")
        if key is None:
            return
        tenant_id = req.context.tenant.tenant_id
        status = falcon.http_status_to_code(resp.status)
        if status >= 500 or status == 429:
            self._service.release(tenant_id, key)
            return
        media = resp.media
        body = None
        if isinstance(media, dict):
            body = json.dumps({k: v for k, v in media.items() if k != "meta"})
        self._service.remember(
            tenant_id, key, status=status, body=body, agent_id=req.context.get("agent_id")
        )
