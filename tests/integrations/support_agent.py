"""A small support agent for the end-to-end tests: ``create_agent`` with every Mnemora piece
and a deterministic, tool-calling fake chat model from langchain-core.

Importable by a fresh Python process (the interrupt/resume test resumes in one), so it builds
everything from a key, a URL and an agent id.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from langchain.agents import create_agent
from langchain.tools import ToolRuntime
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.tools import BaseTool, tool
from langgraph.types import interrupt
from pydantic import Field

from mnemora_integrations.langchain import MnemoraMemoryMiddleware, create_memory_tools
from mnemora_integrations.langgraph import MnemoraSaver, MnemoraStore


class ScriptedChatModel(GenericFakeChatModel):
    """``GenericFakeChatModel`` that accepts tools (it answers from its script whatever
    they are) and records what it was sent, to check what the agent gave the model."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def call(name: str, **args: Any) -> AIMessage:
    """A model turn that calls one tool."""
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": f"call-{uuid.uuid4().hex[:12]}"}]
    )


def model(*replies: AIMessage | str) -> ScriptedChatModel:
    """A fake model that answers with ``replies`` in order."""
    return ScriptedChatModel(messages=iter(list(replies)))


@tool
def remember_contact(channel: str, runtime: ToolRuntime) -> str:
    """Keep the customer's preferred contact channel in the long-term store."""
    assert runtime.store is not None
    runtime.store.put(("profile",), "contact", {"channel": channel})
    return f"stored {channel}"


@tool
def issue_refund(amount: int) -> str:
    """Refund the customer; a human approves first."""
    decision = interrupt({"question": f"approve a refund of {amount}?"})
    return f"refund of {amount}: {decision}"


def build(
    chat_model: ScriptedChatModel,
    *,
    key: str,
    url: str,
    agent_id: str,
    remember: bool = True,
    extra_tools: Sequence[BaseTool | Callable[..., Any]] = (),
) -> Any:
    """The agent: memory tools, a store tool, a refund tool that interrupts; Mnemora for
    checkpoints, store and memory."""
    tools = [
        *create_memory_tools(agent_id=agent_id, api_key=key, base_url=url),
        remember_contact,
        issue_refund,
        *extra_tools,
    ]
    return create_agent(
        chat_model,
        tools=tools,
        system_prompt="You are the support agent of ACME.",
        checkpointer=MnemoraSaver(agent_id=agent_id, api_key=key, base_url=url),
        store=MnemoraStore(agent_id=agent_id, api_key=key, base_url=url),
        middleware=[
            MnemoraMemoryMiddleware(agent_id=agent_id, api_key=key, base_url=url, remember=remember)
        ],
    )


def _resume(argv: Iterator[str]) -> None:
    """``python -m tests.integrations.support_agent KEY URL AGENT THREAD ANSWER``: resume an
    interrupted thread in this new process and print the final answer as JSON."""
    from langgraph.types import Command

    key, url, agent_id, thread, answer = argv
    agent = build(model("The refund is on its way."), key=key, url=url, agent_id=agent_id)
    result = agent.invoke(Command(resume=answer), {"configurable": {"thread_id": thread}})
    print(json.dumps([[m.type, m.text] for m in result["messages"]]))


if __name__ == "__main__":
    _resume(iter(sys.argv[1:]))
