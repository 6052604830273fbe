"""Chat models for summaries: any OpenAI-compatible ``/chat/completions`` endpoint."""

from __future__ import annotations

from typing import Protocol

from mnemora_server.errors import UnavailableError
from mnemora_server.outbound import JsonEndpoint


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
        self._endpoint = JsonEndpoint(
            base_url,
            "/chat/completions",
            service="the summary model",
            api_key=api_key,
            timeout=timeout,
            attempts=attempts,
        )

    def complete(self, system: str, user: str) -> str:
        """Ask the model; retries transient failures."""
        body = {
            "model": self.name,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0.2,
        }
        answer = self._endpoint.post(body)
        try:
            return str(answer["choices"][0]["message"]["content"])
        except (KeyError, IndexError, TypeError) as exc:
            raise UnavailableError("the summary model answered nonsense") from exc
