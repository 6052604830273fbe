"""Checkpoint routes (LangGraph's checkpointer): ``/v1/checkpoints``.

Ids travel in bodies (thread ids and namespaces are free text), so reads are ``POST``s that
declare ``writes=False``: a read-only key may use them and they carry no idempotency record.
"""

from __future__ import annotations

import falcon

from mnemora_server.http import operation, read_body, send
from mnemora_server.resources.context import bind_agent, tenant_of
from mnemora_server.schemas.checkpoints import (
    CheckpointConfigOut,
    CheckpointFound,
    CheckpointGet,
    CheckpointList,
    CheckpointListQuery,
    CheckpointOut,
    CheckpointPut,
    CheckpointsChanged,
    CheckpointWritesPut,
    RunsDelete,
    ThreadCopy,
    ThreadsDelete,
    ThreadsPrune,
    WritesStored,
)
from mnemora_server.services.checkpoints import CheckpointQuery, CheckpointService

_TAGS = ("checkpoints",)


class CheckpointCollectionResource:
    """``POST /v1/checkpoints``."""

    def __init__(self, service: CheckpointService, max_body_bytes: int) -> None:
        self._service = service
        self.max_body_bytes = max_body_bytes

    @operation(
        summary="Store a checkpoint and the values of the channels it changed",
        request=CheckpointPut,
        response=CheckpointConfigOut,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store a checkpoint."""
        tenant = tenant_of(req)
        body = read_body(req, CheckpointPut, self.max_body_bytes)
        bind_agent(req, body.agent_id)
        record = self._service.put(
            tenant.tenant_id,
            body.agent_id,
            thread_id=body.thread_id,
            checkpoint_ns=body.checkpoint_ns,
            checkpoint=body.checkpoint,
            metadata=body.metadata,
            parent_checkpoint_id=body.parent_checkpoint_id,
            blobs=[blob.blob() for blob in body.blobs],
        )
        out = CheckpointConfigOut(
            thread_id=record.thread_id,
            checkpoint_ns=record.checkpoint_ns,
            checkpoint_id=record.checkpoint_id,
        )
        send(resp, out, 201)


class CheckpointWritesResource:
    """``POST /v1/checkpoints/writes``."""

    def __init__(self, service: CheckpointService, max_body_bytes: int) -> None:
        self._service = service
        self.max_body_bytes = max_body_bytes

    @operation(
        summary="Store a task's pending writes after a checkpoint",
        request=CheckpointWritesPut,
        response=WritesStored,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Store pending writes."""
        tenant = tenant_of(req)
        body = read_body(req, CheckpointWritesPut, self.max_body_bytes)
        bind_agent(req, body.agent_id)
        self._service.put_writes(
            tenant.tenant_id,
            body.agent_id,
            thread_id=body.thread_id,
            checkpoint_ns=body.checkpoint_ns,
            checkpoint_id=body.checkpoint_id,
            writes=body.pending(),
        )
        send(resp, WritesStored(writes=len(body.writes)))


class CheckpointGetResource:
    """``POST /v1/checkpoints/get``."""

    def __init__(self, service: CheckpointService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="One checkpoint by id, or the thread's latest (null when there is none)",
        request=CheckpointGet,
        response=CheckpointFound,
        writes=False,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Read a checkpoint."""
        tenant = tenant_of(req)
        body = read_body(req, CheckpointGet, self._max_body)
        bind_agent(req, body.agent_id)
        found = self._service.get(
            tenant.tenant_id,
            body.agent_id,
            thread_id=body.thread_id,
            checkpoint_ns=body.checkpoint_ns,
            checkpoint_id=body.checkpoint_id,
        )
        send(resp, CheckpointFound(checkpoint=None if found is None else CheckpointOut.of(found)))


class CheckpointListResource:
    """``POST /v1/checkpoints/list``."""

    def __init__(self, service: CheckpointService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Checkpoints newest first, by thread, namespace, before and metadata",
        request=CheckpointListQuery,
        response=CheckpointList,
        writes=False,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List checkpoints."""
        tenant = tenant_of(req)
        body = read_body(req, CheckpointListQuery, self._max_body)
        bind_agent(req, body.agent_id)
        page = self._service.list_checkpoints(
            tenant.tenant_id,
            body.agent_id,
            CheckpointQuery(
                thread_id=body.thread_id,
                checkpoint_ns=body.checkpoint_ns,
                checkpoint_id=body.checkpoint_id,
                before=body.before,
            ),
            metadata_filter=body.filter,
            limit=body.limit,
            cursor=body.cursor,
        )
        items = [CheckpointOut.of(item) for item in page.tuples]
        send(
            resp, CheckpointList(checkpoints=items, count=len(items), next_cursor=page.next_cursor)
        )


class ThreadsDeleteResource:
    """``POST /v1/checkpoints/threads/delete``."""

    def __init__(self, service: CheckpointService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Delete threads with every checkpoint, value and write",
        request=ThreadsDelete,
        response=CheckpointsChanged,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Delete threads."""
        tenant = tenant_of(req)
        body = read_body(req, ThreadsDelete, self._max_body)
        bind_agent(req, body.agent_id)
        deleted = self._service.delete_threads(tenant.tenant_id, body.agent_id, body.thread_ids)
        send(resp, CheckpointsChanged(checkpoints=deleted))


class ThreadCopyResource:
    """``POST /v1/checkpoints/threads/copy``."""

    def __init__(self, service: CheckpointService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Copy a thread's checkpoints, values and writes into another thread",
        request=ThreadCopy,
        response=CheckpointsChanged,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Copy a thread."""
        tenant = tenant_of(req)
        body = read_body(req, ThreadCopy, self._max_body)
        bind_agent(req, body.agent_id)
        copied = self._service.copy_thread(
            tenant.tenant_id, body.agent_id, body.source_thread_id, body.target_thread_id
        )
        send(resp, CheckpointsChanged(checkpoints=copied))


class ThreadsPruneResource:
    """``POST /v1/checkpoints/threads/prune``."""

    def __init__(self, service: CheckpointService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Keep only each namespace's latest checkpoint of threads, or delete them",
        request=ThreadsPrune,
        response=CheckpointsChanged,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Prune threads."""
        tenant = tenant_of(req)
        body = read_body(req, ThreadsPrune, self._max_body)
        bind_agent(req, body.agent_id)
        deleted = self._service.prune(
            tenant.tenant_id,
            body.agent_id,
            body.thread_ids,
            keep_latest=body.strategy == "keep_latest",
        )
        send(resp, CheckpointsChanged(checkpoints=deleted))


class RunsDeleteResource:
    """``POST /v1/checkpoints/runs/delete``."""

    def __init__(self, service: CheckpointService, max_body_bytes: int) -> None:
        self._service = service
        self._max_body = max_body_bytes

    @operation(
        summary="Delete the checkpoints of runs (by the run_id of their metadata)",
        request=RunsDelete,
        response=CheckpointsChanged,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Delete runs' checkpoints."""
        tenant = tenant_of(req)
        body = read_body(req, RunsDelete, self._max_body)
        bind_agent(req, body.agent_id)
        deleted = self._service.delete_runs(tenant.tenant_id, body.agent_id, body.run_ids)
        send(resp, CheckpointsChanged(checkpoints=deleted))
