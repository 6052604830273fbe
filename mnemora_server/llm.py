"""Chat models for summaries: any OpenAI-compatible ``/chat/completions`` endpoint."""

from __future__ import annotations

import time
from typing import Protocol

import httpx

from mnemora_server.errors import UnavailableError


class ChatModel(Protocol):
    """Completes a conversation.

    Attributes:
        name: The model's name, reported with its answers.
    """

    name: str

    def complete(self, system: str, user: str) -> str:
        """The model's answer to one system and one user message.

        Raises:
            UnavailableError: The model could not be reached or failed.
        """


class OpenAICompatibleChat:
    """A model behind an OpenAI-compatible API (OpenAI, vLLM, Ollama, LiteLLM, ...).

    Args:
        base_url: The API root, e.g. ``https://api.openai.com/v1``.
        model: The model name.
        api_key: Sent as a bearer token, if given.
        timeout: Seconds per attempt.
        attempts: Tries for connection errors, 429 and 5xx (with back-off).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        attempts: int = 3,
    ) -> None:
        self.name = model
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout
        self._attempts = attempts

    def complete(self, system: str, user: str) -> str:
        """Ask the model; retries transient failures."""
        body = {
            "model": self.name,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0.2,
        }
        for attempt in range(self._attempts):
            try:
                response = httpx.post(
                    self._url, json=body, headers=self._headers, timeout=self._timeout
                )
            except httpx.TransportError as exc:
                if attempt + 1 == self._attempts:
                    raise UnavailableError("the summary model cannot be reached") from exc
            else:
                if response.status_code == 200:
                    try:
                        return str(response.json()["choices"][0]["message"]["content"])
                    except (KeyError, IndexError, TypeError, ValueError) as exc:
                        raise UnavailableError("the summary model answered nonsense") from exc
                if response.status_code != 429 and response.status_code < 500:
                    raise UnavailableError(
                        f"the summary model refused the request ({response.status_code})"
                    )
                if attempt + 1 == self._attempts:
                    raise UnavailableError(f"the summary model failed ({response.status_code})")
            time.sleep(0.5 * 2**attempt)
        raise UnavailableError("the summary model failed")
