"""Calls this server makes to other HTTP services (embedding and chat models), retried alike.

A connection error, a 429 or a 5xx answer is retried with exponential back-off; any other
refusal, or a service that stays down, becomes :class:`UnavailableError` (503 to our client),
with a message that names the service.
"""

from __future__ import annotations

from typing import Any

import httpx
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from mnemora_server.errors import UnavailableError


class _Transient(Exception):
    """An attempt that may succeed when tried again."""


def post_json(
    url: str,
    body: Any,
    *,
    service: str,
    headers: dict[str, str],
    timeout: float,
    attempts: int,
) -> Any:
    """POST ``body`` as JSON and return the decoded JSON answer.

    Args:
        url: The endpoint.
        body: The JSON body.
        service: What the endpoint is, for error messages ("the embedding service").
        headers: Extra headers (authorisation).
        timeout: Seconds per attempt.
        attempts: Tries in all for connection errors, 429 and 5xx.

    Raises:
        UnavailableError: The service refused, stayed unreachable or failing, or answered
            something that is not JSON.
    """
    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.25, max=8.0),
        retry=retry_if_exception_type(_Transient),
    )
    try:
        response = retrying(_post, url, body, service, headers, timeout)
    except RetryError as exc:
        cause = exc.last_attempt.exception()
        raise UnavailableError(str(cause)) from cause.__cause__ if cause else None
    try:
        return response.json()
    except ValueError as exc:
        raise UnavailableError(f"{service} answered nonsense") from exc


def _post(
    url: str, body: Any, service: str, headers: dict[str, str], timeout: float
) -> httpx.Response:
    try:
        response = httpx.post(url, json=body, headers=headers, timeout=timeout)
    except httpx.TransportError as exc:
        raise _Transient(f"{service} cannot be reached") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise _Transient(f"{service} failed ({response.status_code})")
    if response.status_code != 200:
        raise UnavailableError(f"{service} refused the request ({response.status_code})")
    return response
