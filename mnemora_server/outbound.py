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


class JsonEndpoint:
    """One endpoint of an OpenAI-compatible API, posted to with retries.

    Args:
        base_url: The API root, e.g. ``https://api.openai.com/v1``.
        path: The endpoint under it, e.g. ``/embeddings``.
        service: What the endpoint is, for error messages ("the embedding service").
        api_key: Sent as a bearer token, if given.
        timeout: Seconds per attempt.
        attempts: Tries in all for connection errors, 429 and 5xx (with back-off).
    """

    def __init__(
        self,
        base_url: str,
        path: str,
        *,
        service: str,
        api_key: str | None,
        timeout: float,
        attempts: int,
    ) -> None:
        self.url = base_url.rstrip("/") + path
        self.service = service
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout
        self._attempts = attempts

    def post(self, body: Any) -> Any:
        """POST ``body`` as JSON and return the decoded JSON answer.

        Raises:
            UnavailableError: The service refused, stayed unreachable or failing, or answered
                something that is not JSON.
        """
        retrying = Retrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.25, max=8.0),
            retry=retry_if_exception_type(_Transient),
        )
        try:
            response = retrying(_post, self.url, body, self.service, self._headers, self._timeout)
        except RetryError as exc:
            cause = exc.last_attempt.exception()
            raise UnavailableError(str(cause)) from cause.__cause__ if cause else None
        try:
            return response.json()
        except ValueError as exc:
            raise UnavailableError(f"{self.service} answered nonsense") from exc


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
