"""A LlamaIndex ``FunctionAgent`` whose ``Memory`` lives in Mnemora, driven by LlamaIndex's
own ``MockFunctionCallingLLM``, for the end-to-end tests. Each turn can run in a process of
its own: ``python -m tests.integrations.llama_agent KEY URL AGENT SESSION TEXT`` prints, as
JSON, the reply and what the model was given."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms.mock import MockFunctionCallingLLM
from llama_index.core.memory import Memory

from mnemora_integrations.llama_index import MnemoraChatStore, MnemoraMemoryBlock


class Recorder:
    """The model's replies: it repeats the user's words; it records what it was given."""

    def __init__(self) -> None:
        self.seen: list[list[tuple[str, str]]] = []

    def __call__(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatMessage:
        self.seen.append([(m.role.value, m.content or "") for m in messages])
        last = next(m for m in reversed(messages) if m.role == MessageRole.USER)
        return ChatMessage(role=MessageRole.ASSISTANT, content=f"Noted: {last.content}")


def memory(key: str, url: str, agent_id: str, session: str) -> Memory:
    """The session's memory: the chat in working memory, what falls out of the short-term
    window in semantic memory (a small window, so that it flushes early)."""
    mine: dict[str, Any] = {"agent_id": agent_id, "api_key": key, "base_url": url}
    return Memory.from_defaults(
        session_id=session,
        chat_store=MnemoraChatStore(**mine),
        memory_blocks=[MnemoraMemoryBlock(**mine, threshold=-1.0)],
        token_limit=600,
        chat_history_token_ratio=0.1,
        token_flush_size=40,
    )


async def turn(key: str, url: str, agent_id: str, session: str, text: str) -> dict[str, Any]:
    """One turn of the agent; the reply and what the model saw."""
    recorder = Recorder()
    agent = FunctionAgent(
        tools=[],
        llm=MockFunctionCallingLLM(response_generator=recorder),
        system_prompt="You are ACME's support agent.",
    )
    result = await agent.run(text, memory=memory(key, url, agent_id, session))
    return {"reply": str(result), "seen": recorder.seen[-1]}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(turn(*sys.argv[1:6]))))
