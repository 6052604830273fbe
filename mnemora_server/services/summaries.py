"""Summaries of an agent's episodes by a configured chat model."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mnemora_server.errors import NotConfiguredError
from mnemora_server.llm import ChatModel
from mnemora_server.services.episodes import EpisodicMemoryService
from mnemora_server.stores.base import Episode, EpisodeFilter
from mnemora_server.timestamps import iso_time

_SYSTEM = (
    "You summarise an AI agent's episodic memory for later recall. Write a short factual "
    "summary: who asked what, what was done, what is pending. No preamble."
)
_MAX_PROMPT_CHARS = 60_000


@dataclass(frozen=True)
class Summary:
    """A model's summary of some episodes.

    Attributes:
        text: The summary.
        episodes: How many episodes it covers.
        model: The model that wrote it.
    """

    text: str
    episodes: int
    model: str


class SummaryService:
    """Summarises a session (or an agent's latest episodes) with a chat model."""

    def __init__(self, model: ChatModel | None, episodic: EpisodicMemoryService) -> None:
        self._model = model
        self._episodic = episodic

    def summarize(
        self, tenant_id: str, agent_id: str, *, session_id: str | None, limit: int
    ) -> Summary:
        """Summarise one session in order, or the agent's ``limit`` latest episodes.

        Raises:
            NotConfiguredError: No chat model is configured.
            UnavailableError: The model failed.
        """
        if self._model is None:
            raise NotConfiguredError(
                "no LLM is configured for summaries: set MNEMORA_LLM_URL and MNEMORA_LLM_MODEL "
                "(any OpenAI-compatible endpoint)"
            )
        if session_id is not None:
            episodes = self._episodic.session(
                tenant_id, agent_id, session_id, limit=limit, cursor=None
            ).episodes
        else:
            latest = self._episodic.list_episodes(
                tenant_id, EpisodeFilter(agent_id=agent_id), limit=limit, cursor=None
            ).episodes
            episodes = list(reversed(latest))
        if not episodes:
            return Summary(text="", episodes=0, model=self._model.name)
        transcript = "\n".join(_line(ep) for ep in episodes)[-_MAX_PROMPT_CHARS:]
        return Summary(
            text=self._model.complete(_SYSTEM, transcript),
            episodes=len(episodes),
            model=self._model.name,
        )


def _line(episode: Episode) -> str:
    content = (
        episode.content
        if isinstance(episode.content, str)
        else json.dumps(episode.content, ensure_ascii=False)
    )
    return f"[{iso_time(episode.timestamp)}] {episode.session_id} {episode.type}: {content}"
