"""Export and import routes: ``GET /v1/export`` and ``POST /v1/import`` (NDJSON)."""

from __future__ import annotations

from collections.abc import Iterator

import falcon
from pydantic import BaseModel, ConfigDict

from mnemora_server.errors import PayloadTooLargeError
from mnemora_server.http import operation, read_query, send, send_ndjson
from mnemora_server.identifiers import AgentId
from mnemora_server.resources.context import tenant_of
from mnemora_server.services.transfer import TransferService

_TAGS = ("export",)


class ExportQuery(BaseModel):
    """Query of ``GET /v1/export``."""

    model_config = ConfigDict(extra="ignore")

    agent_id: AgentId | None = None


class ImportOut(BaseModel):
    """What an import stored."""

    stored: dict[str, int]
    skipped: dict[str, int]
    lines: int


class ExportResource:
    """``GET /v1/export``: every record of the tenant (or one agent), one JSON line each."""

    def __init__(self, transfer: TransferService) -> None:
        self._transfer = transfer

    @operation(
        summary="Stream the tenant's (or an agent's) memory as NDJSON",
        query=ExportQuery,
        tags=_TAGS,
        raw_response="application/x-ndjson",
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Export."""
        tenant = tenant_of(req)
        query = read_query(req, ExportQuery)
        send_ndjson(resp, self._transfer.export(tenant.tenant_id, query.agent_id))


class ImportResource:
    """``POST /v1/import``: restore an export into the caller's tenant."""

    #: The body is streamed line by line; it is idempotent by itself (ids are kept).
    streams_body = True

    def __init__(self, transfer: TransferService, max_import_bytes: int) -> None:
        self._transfer = transfer
        self._max = max_import_bytes

    @operation(
        summary="Import an NDJSON export into this tenant (idempotent)",
        response=ImportOut,
        writes=True,
        tags=_TAGS,
        raw_request="application/x-ndjson",
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Import."""
        tenant = tenant_of(req)
        if req.content_length is not None and req.content_length > self._max:
            raise PayloadTooLargeError(f"imports are limited to {self._max} bytes")

        def lines() -> Iterator[bytes]:
            # Read blocks and split them ourselves: BoundedStream.readline() stops early.
            seen = 0
            pending = b""
            while block := req.bounded_stream.read(1 << 16):
                seen += len(block)
                if seen > self._max:
                    raise PayloadTooLargeError(f"imports are limited to {self._max} bytes")
                *complete, pending = (pending + block).split(b"\n")
                yield from complete
            if pending:
                yield pending

        report = self._transfer.import_lines(tenant.tenant_id, tenant.limits, lines())
        send(resp, ImportOut(stored=report.stored, skipped=report.skipped, lines=report.lines))
