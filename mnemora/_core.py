"""Everything the sync and async clients decide, written once and free of I/O.

An API method is a *plan*: a generator that yields :class:`Call` objects, receives each
call's decoded ``data``, and returns the method's result. :func:`execute` turns a plan into
the I/O steps a client must perform - :class:`Send` a request, :class:`Sleep` - including
retries, back-off, idempotency keys and error mapping. The two clients only perform the steps.
"""

from __future__ import annotations

import json
import os
import random
import sys
import uuid
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from mnemora._version import __version__
from mnemora.errors import (
    MnemoraConfigError,
    MnemoraConnectionError,
    MnemoraError,
    MnemoraTimeoutError,
    error_for_status,
)

R = TypeVar("R")

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class Call:
    """One API request of a plan.

    Attributes:
        method: HTTP method.
        path: Path under the base URL, e.g. ``/v1/state``.
        params: Query parameters (``None`` values are dropped).
        json: JSON body, if any.
        write: Whether it changes data; writes carry an ``Idempotency-Key`` so that a retry
            never writes twice. Defaults to true for POST, PUT, PATCH and DELETE.
        content: A raw body (instead of ``json``), with its content type.
        download_to: Stream the answer's body into this file; the call's data is the number
            of lines written.
    """

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    write: bool | None = None
    content: tuple[bytes, str] | None = None
    download_to: str | None = None

    def is_write(self) -> bool:
        """Whether the call changes data."""
        return self.method in _WRITE_METHODS if self.write is None else self.write


Plan = Generator[Call, Any, R]
"""A generator that yields calls, receives their ``data``, and returns a result."""


@dataclass(frozen=True)
class Send:
    """Step: send this request and hand back the response (or the transport error)."""

    request: httpx.Request


@dataclass(frozen=True)
class Download:
    """Step: send this request and stream a successful body into ``path``.

    The outcome handed back is the response (its body already consumed on success), or the
    transport error. ``lines`` receives the number of lines written.
    """

    request: httpx.Request
    path: str


@dataclass(frozen=True)
class Sleep:
    """Step: wait this many seconds."""

    seconds: float


Step = Send | Download | Sleep
Outcome = httpx.Response | httpx.TransportError | None


@dataclass(frozen=True)
class ClientConfig:
    """Resolved client settings.

    Attributes:
        api_key: The tenant's key.
        base_url: Root URL of the API.
        timeout: Seconds per request.
        max_retries: Retries after the first attempt for 429, 5xx and connection errors.
        backoff: First back-off in seconds (doubled per retry, with jitter).
        max_backoff: Largest back-off in seconds.
    """

    api_key: str
    base_url: str
    timeout: float = 30.0
    max_retries: int = 3
    backoff: float = 0.5
    max_backoff: float = 8.0
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
        max_retries: int,
    ) -> ClientConfig:
        """Fill in ``MNEMORA_API_KEY`` / ``MNEMORA_API_URL`` and check the result.

        Raises:
            MnemoraConfigError: No API key given or in the environment.
        """
        key = api_key or os.environ.get("MNEMORA_API_KEY")
        if not key:
            raise MnemoraConfigError(
                "no API key: pass api_key=... or set MNEMORA_API_KEY", code="CONFIG_ERROR"
            )
        url = (base_url or os.environ.get("MNEMORA_API_URL") or DEFAULT_BASE_URL).rstrip("/")
        return cls(api_key=key, base_url=url, timeout=timeout, max_retries=max(0, max_retries))

    def default_headers(self) -> dict[str, str]:
        """Headers sent with every request."""
        return {
            "Authorization": f"Bearer {self.api_key}",
            "Accept": "application/json",
            "User-Agent": f"mnemora-python/{__version__}",
        }


def build_request(client: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
    """The HTTP request for ``call`` (without the idempotency key)."""
    params = {k: v for k, v in (call.params or {}).items() if v is not None}
    if call.content is not None:
        body, content_type = call.content
        return client.build_request(
            call.method,
            call.path,
            params=params or None,
            content=body,
            headers={"Content-Type": content_type},
        )
    return client.build_request(
        call.method,
        call.path,
        params=params or None,
        json=call.json,
    )


def retry_delay(config: ClientConfig, attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before retry number ``attempt + 1`` (exponential, jittered)."""
    base = min(config.max_backoff, config.backoff * (2**attempt))
    delay: float = base / 2 + random.uniform(0, base / 2)  # noqa: S311 - jitter, not security
    if retry_after is not None:
        delay = max(delay, min(retry_after, _MAX_RETRY_AFTER))
    return delay


def parse_retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds, if present and numeric."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _retryable(response: httpx.Response) -> bool:
    if response.status_code in RETRY_STATUSES:
        return True
    # A retry that overtook the first attempt of the same write: wait for it to finish.
    if response.status_code == 409 and "Retry-After" in response.headers:
        body = _json_or_none(response)
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        return code == "IDEMPOTENCY_CONFLICT"
    return False


def decode(response: httpx.Response) -> Any:
    """The ``data`` of a successful answer, or raise the mapped error."""
    if response.status_code < 400:
        if response.status_code == 204 or not response.content:
            return None
        body = _json_or_none(response)
        if body is None:
            raise MnemoraError(
                "server returned a non-JSON answer", "PARSE_ERROR", response.status_code
            )
        return body.get("data", body) if isinstance(body, dict) else body
    raise error_for_status(
        response.status_code, _json_or_none(response), retry_after=parse_retry_after(response)
    )


def send_call(
    config: ClientConfig, request: httpx.Request, write: bool, download_to: str | None = None
) -> Generator[Step, Outcome, Any]:
    """Steps that send one request with retries and return its decoded ``data``."""
    if write:
        request.headers["Idempotency-Key"] = "idem_" + uuid.uuid4().hex
    attempt = 0
    while True:
        outcome = yield (Send(request) if download_to is None else Download(request, download_to))
        if isinstance(outcome, httpx.Response):
            if attempt < config.max_retries and _retryable(outcome):
                yield Sleep(retry_delay(config, attempt, parse_retry_after(outcome)))
                attempt += 1
                continue
            if download_to is not None and outcome.status_code < 400:
                return outcome.extensions.get("mnemora_lines", 0)
            return decode(outcome)
        if attempt < config.max_retries:
            yield Sleep(retry_delay(config, attempt, None))
            attempt += 1
            continue
        where = f"{request.method} {request.url.copy_with(query=None)}"
        tries = f"{attempt + 1} attempt{'s' if attempt else ''}"
        if isinstance(outcome, httpx.TimeoutException):
            raise MnemoraTimeoutError(
                f"{where} timed out after {config.timeout} s ({tries}): {outcome}", "TIMEOUT"
            ) from outcome
        raise MnemoraConnectionError(
            f"could not reach the Mnemora server at {where} ({tries}): {outcome}. Is it "
            "running there? Set MNEMORA_API_URL or base_url= to where it is.",
            "NETWORK_ERROR",
        ) from outcome


def execute(
    config: ClientConfig, client: httpx.Client | httpx.AsyncClient, plan: Plan[R]
) -> Generator[Step, Outcome, R]:
    """Steps that run a whole plan and return its result."""
    try:
        call = next(plan)
        while True:
            data = yield from send_call(
                config, build_request(client, call), call.is_write(), call.download_to
            )
            call = plan.send(data)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]


class LineCounter:
    """Counts the lines of a streamed body and reports progress now and then."""

    def __init__(self, label: str, every: int = 1000) -> None:
        self.lines = 0
        self._label = label
        self._every = every

    def feed(self, chunk: bytes) -> None:
        """Count the newlines of one chunk."""
        before = self.lines
        self.lines += chunk.count(b"\n")
        if self.lines // self._every > before // self._every:
            print(f"{self._label}: {self.lines} records", file=sys.stderr, flush=True)
