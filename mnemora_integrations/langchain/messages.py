"""Chat messages as episodes: one encoding shared by the chat history and the middleware.

Each message becomes one episode of its session: ``type`` says what it was (``conversation``
for what the user and the model said, ``tool_call`` for a model turn that calls tools,
``observation`` for a tool's result), and ``content`` holds the role, the plain text (what
keyword search over episodes finds) and the whole message as LangChain serialises it, so it
comes back exactly.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ToolMessage,
    message_to_dict,
    messages_from_dict,
)

from mnemora.models import EpisodeResponse

_SESSION_ID = re.compile(r"[A-Za-z0-9_:@.\-]{1,256}")


def episode_of(message: BaseMessage, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The episode that records ``message``."""
    if isinstance(message, AIMessage) and message.tool_calls:
        kind = "tool_call"
    elif isinstance(message, ToolMessage):
        kind = "observation"
    else:
        kind = "conversation"
    episode: dict[str, Any] = {
        "type": kind,
        "content": {
            "role": message.type,
            "text": message.text,
            "message": message_to_dict(message),
        },
    }
    if metadata:
        episode["metadata"] = metadata
    return episode


def messages_of(episodes: Sequence[EpisodeResponse]) -> list[BaseMessage]:
    """The messages recorded by ``episodes``, in order (other episodes are skipped)."""
    recorded = [
        episode.content["message"]
        for episode in episodes
        if isinstance(episode.content, dict) and isinstance(episode.content.get("message"), dict)
    ]
    return messages_from_dict(recorded)


def session_id_of(thread_id: str) -> str:
    """A session id for a LangGraph thread id: the id itself when the server accepts it,
    else a stable digest of it (``thread.<sha256 prefix>``)."""
    if _SESSION_ID.fullmatch(thread_id):
        return thread_id
    return "thread." + hashlib.sha256(thread_id.encode()).hexdigest()[:40]
