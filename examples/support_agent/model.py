"""The agent's chat model: any LangChain model by configuration, or an offline one.

``MNEMORA_EXAMPLE_MODEL`` names a model for ``langchain.chat_models.init_chat_model``
(``openai:gpt-4.1-mini``, ``anthropic:claude-sonnet-4-5``, ...); with
``MNEMORA_EXAMPLE_BASE_URL`` it is any OpenAI-compatible server (``openai:<model name>``
plus that URL; the key comes from ``OPENAI_API_KEY``). Without either, :class:`OfflineModel`
answers: deterministic, no network, no key.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult

NOTHING_FOUND = "NO RELEVANT PASSAGES"
"""What the knowledge tool answers when nothing in the customer's help-centre fits."""

_FACT = re.compile(r"\b(I prefer|please (?:always|only)|my (?:name|email|phone) is)\b", re.I)
_WORD = re.compile(r"[a-z0-9]+")
_GENERIC_WORDS = """
    a about after again an and any are at be before can cost costs do does for from get give
    how i in is it long many me much my of on or our plan plans price refund refunds reset
    take takes that the there this to we what when where which who with you your
"""
_GENERIC = frozenset(_GENERIC_WORDS.split())
"""Words that say nothing about which product a question is about."""


def chat_model() -> BaseChatModel:
    """The configured chat model, or the offline one."""
    name = os.environ.get("MNEMORA_EXAMPLE_MODEL")
    base_url = os.environ.get("MNEMORA_EXAMPLE_BASE_URL")
    if not name and not base_url:
        return OfflineModel()
    from langchain.chat_models import init_chat_model

    if base_url:
        return init_chat_model(name or "openai:gpt-4.1-mini", base_url=base_url)
    return init_chat_model(name)


class OfflineModel(BaseChatModel):
    """A deterministic stand-in for an LLM that uses the agent's tools as a model would.

    For a new question it calls ``search_knowledge``; it answers with the first passage that
    speaks of what was asked (one of the question's specific words, not just "refund" or
    "plan") and cites it; when none does, it says it does not know and calls
    ``escalate_ticket``. A message that states a preference (``I prefer ...``) is noted
    with ``note_customer_fact`` first.
    """

    @property
    def _llm_type(self) -> str:
        return "mnemora-offline-support"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> OfflineModel:
        """Tools are known by name; nothing to bind."""
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        question_at = max(i for i, m in enumerate(messages) if isinstance(m, HumanMessage))
        question = messages[question_at].text
        done = {
            m.name: m.text
            for m in messages[question_at + 1 :]
            if isinstance(m, ToolMessage) and m.name
        }
        if _FACT.search(question) and "note_customer_fact" not in done:
            return _call("note_customer_fact", fact=question)
        if "search_knowledge" not in done:
            return _call("search_knowledge", query=question)
        found = done["search_knowledge"]
        blocks = [] if found.startswith(NOTHING_FOUND) else found.split("\n\n")
        for block in blocks:
            cite, _, passage = block.partition("\n")
            if _grounded(question, passage):
                return AIMessage(f"{passage.strip()}\n\nSource: {cite.strip()}")
        if "escalate_ticket" not in done:
            return _call("escalate_ticket", reason=f"no passage answers: {question}")
        return AIMessage(
            "I don't know: the help-centre passages I found do not answer this. I have passed "
            "your ticket to a colleague, who will get back to you."
        )


def _grounded(question: str, passage: str) -> bool:
    """Whether ``passage`` speaks of what the question asks about: it holds at least one of
    the question's specific words (as a model reading it would judge)."""
    specific = [w for w in _WORD.findall(question.lower()) if w not in _GENERIC]
    if not specific:
        return True
    said = _WORD.findall(passage.lower())
    return any(_same_word(w, p) for w in specific for p in said)


def _same_word(a: str, b: str) -> bool:
    """Equal, or sharing a stem of five letters (``snapshots``/``snapshot``)."""
    return a == b or (len(a) >= 5 and len(b) >= 5 and a[:5] == b[:5])


def _call(name: str, **args: Any) -> AIMessage:
    return AIMessage(
        content="", tool_calls=[{"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:12]}"}]
    )
