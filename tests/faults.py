"""A fault-injecting HTTP proxy on loopback, in front of a real service (moto's DynamoDB and S3).

It passes every request through unchanged until told otherwise; then it answers the next
requests with an error (throttling, 5xx), or holds them without answering (a hanging service),
either before they reach the service or after the service has applied them (the answer is
lost). boto3 talks to it exactly as to the service: it only changes the endpoint URL.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

#: How long a held request waits at most (so a forgotten release never blocks a test run).
HOLD_LIMIT_SECONDS = 30.0


@dataclass
class Fault:
    """What the proxy does with the next ``count`` requests."""

    count: int
    status: int = 0
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    hang: bool = False
    after_forwarding: bool = False
    operation: str | None = None


def dynamodb_throttling() -> dict[str, Any]:
    """DynamoDB's answer to a throttled call (botocore retries it)."""
    return {
        "status": 400,
        "body": b'{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException",'
        b'"message":"Rate of requests exceeds the allowed throughput."}',
        "headers": (("Content-Type", "application/x-amz-json-1.0"),),
    }


def s3_slow_down() -> dict[str, Any]:
    """S3's answer when a prefix takes too many requests (botocore retries it)."""
    return {
        "status": 503,
        "body": b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>SlowDown</Code>"
        b"<Message>Please reduce your request rate.</Message></Error>",
        "headers": (("Content-Type", "application/xml"),),
    }


def internal_error() -> dict[str, Any]:
    return {"status": 500, "body": b"internal error", "headers": ()}


class FaultProxy:
    """Forward HTTP requests to ``target``, injecting faults on demand.

    Attributes:
        url: The proxy's address (give it to boto3 as ``endpoint_url``).
        forwarded: Requests that reached the service.
        faulted: Requests answered with a fault or held.
    """

    def __init__(self, target: str) -> None:
        self._target = target.rstrip("/")
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._client = httpx.Client(timeout=60)
        self.forwarded = 0
        self.faulted = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                proxy.serve(self, self.rfile.read(length) if length else b"")

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    # -- control ---------------------------------------------------------------------------

    def fail(self, count: int, *, status: int, body: bytes, headers: Any = ()) -> None:
        """Answer the next ``count`` requests with this error instead of forwarding them."""
        with self._lock:
            self._faults.append(Fault(count, status, body, tuple(headers)))

    def hang(
        self,
        count: int = 1_000_000,
        *,
        after_forwarding: bool = False,
        operation: str | None = None,
    ) -> None:
        """Hold the next ``count`` requests without answering until :meth:`release`; with
        ``after_forwarding`` the service applies them first and only the answer is lost.
        ``operation`` limits the fault to one DynamoDB operation (``TransactWriteItems``)."""
        self._released.clear()
        with self._lock:
            self._faults.append(
                Fault(count, hang=True, after_forwarding=after_forwarding, operation=operation)
            )

    def release(self) -> None:
        """Stop injecting faults; held requests are dropped without an answer."""
        with self._lock:
            self._faults.clear()
        self._released.set()

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    # -- serving ---------------------------------------------------------------------------

    def _next_fault(self, operation: str) -> Fault | None:
        with self._lock:
            while self._faults and self._faults[0].count <= 0:
                self._faults.pop(0)
            if not self._faults:
                return None
            fault = self._faults[0]
            if fault.operation is not None and fault.operation != operation:
                return None
            fault.count -= 1
            return fault

    def serve(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        target = handler.headers.get("X-Amz-Target") or ""
        fault = self._next_fault(target.rpartition(".")[2])
        if fault is not None and fault.hang and not fault.after_forwarding:
            self.faulted += 1
            self._hold(handler)
            return
        if fault is not None and not fault.hang:
            self.faulted += 1
            self._answer(handler, fault.status, fault.body, fault.headers)
            return
        headers = {k: v for k, v in handler.headers.items() if k.lower() != "host"}
        answer = self._client.request(
            handler.command, self._target + handler.path, headers=headers, content=body
        )
        self.forwarded += 1
        if fault is not None:  # applied by the service; the answer is lost
            self.faulted += 1
            self._hold(handler)
            return
        dropped = {"transfer-encoding", "connection", "content-encoding"}
        if handler.command != "HEAD":  # the body is re-sent decoded, with its own length
            dropped.add("content-length")
        passed = [(k, v) for k, v in answer.headers.items() if k.lower() not in dropped]
        self._answer(handler, answer.status_code, answer.content, passed)

    def _hold(self, handler: BaseHTTPRequestHandler) -> None:
        self._released.wait(HOLD_LIMIT_SECONDS)
        handler.close_connection = True

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: Any) -> None:
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        if handler.command != "HEAD":
            handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
