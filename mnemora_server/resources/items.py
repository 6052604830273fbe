"""Long-term store routes (LangGraph's ``BaseStore``): ``/v1/store/batch`` and ``/v1/store/read``.

A batch with puts goes to ``/batch`` (a write: counted against the storage quota, refused to
read-only keys, idempotent with an ``Idempotency-Key``); a batch of reads can go to ``/read``,
which read-only keys may use.
"""

from __future__ import annotations

import falcon

from mnemora_server.errors import ValidationError
from mnemora_server.http import operation, read_body, send
from mnemora_server.resources.context import bind_agent, tenant_of
from mnemora_server.schemas.items import PutOp, StoreBatch, StoreResults, result_out
from mnemora_server.services.items import ItemService

_TAGS = ("store",)


class StoreBatchResource:
    """``POST /v1/store/batch``."""

    def __init__(self, service: ItemService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Run a batch of store operations (get, search, put, list_namespaces)",
        request=StoreBatch,
        response=StoreResults,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Run a batch."""
        _run(self._service, req, resp, self._max_body, reads_only=False)


class StoreReadResource:
    """``POST /v1/store/read``."""

    def __init__(self, service: ItemService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Run a batch of store reads (get, search, list_namespaces)",
        request=StoreBatch,
        response=StoreResults,
        writes=False,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Run a batch of reads."""
        _run(self._service, req, resp, self._max_body, reads_only=True)


def _run(
    service: ItemService,
    req: falcon.Request,
    resp: falcon.Response,
    max_body: int,
    *,
    reads_only: bool,
) -> None:
    tenant = tenant_of(req)
    body = read_body(req, StoreBatch, max_body)
    bind_agent(req, body.agent_id)
    if reads_only and any(isinstance(op, PutOp) for op in body.ops):
        raise ValidationError("/v1/store/read takes no puts; send them to /v1/store/batch")
    results = service.batch(tenant.tenant_id, body.agent_id, [op.to_op() for op in body.ops])
    send(resp, StoreResults(results=[result_out(r) for r in results]))
