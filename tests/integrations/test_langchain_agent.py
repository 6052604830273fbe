"""End to end: ``create_agent`` with MnemoraSaver, MnemoraStore, MnemoraMemoryMiddleware and
the memory tools, driven by a deterministic tool-calling fake model, on a live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.types import Command, interrupt

from mnemora import MnemoraSync
from mnemora_integrations.langchain import MnemoraChatMessageHistory
from mnemora_integrations.langgraph import MnemoraSaver, MnemoraStore
from tests.conftest import LiveServer
from tests.integrations.support_agent import build, call, model

ROOT = Path(__file__).resolve().parents[2]


def thread(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


def test_turns_tools_recall_and_logs(live: LiveServer, key: str, agent_id: str) -> None:
    fake = model(
        call("save_memory", content="The customer prefers email over phone"),
        call("remember_contact", channel="email"),
        "Noted: email it is.",
        "You told me about your contact preference.",
        "We will write to you by email.",
    )
    agent = build(fake, key=key, url=live.url, agent_id=agent_id, remember=False)
    first = agent.invoke({"messages": [("user", "Please contact me by email")]}, thread("t1"))
    assert first["messages"][-1].text == "Noted: email it is."
    # The second turn on the thread sees the first one.
    agent.invoke({"messages": [("user", "What did I tell you?")]}, thread("t1"))
    sent = [m.text for m in fake.seen[-1] if isinstance(m, HumanMessage)]
    assert sent == ["Please contact me by email", "What did I tell you?"]
    # A new thread knows nothing of t1's messages, but recall brings the saved memory.
    agent.invoke({"messages": [("user", "How will you contact me, phone or email?")]}, thread("t2"))
    (system,) = [m for m in fake.seen[-1] if isinstance(m, SystemMessage)]
    assert system.text.startswith("You are the support agent of ACME.")
    assert "The customer prefers email over phone" in system.text
    assert [m.text for m in fake.seen[-1] if isinstance(m, HumanMessage)] == [
        "How will you contact me, phone or email?"
    ]
    # The store tool wrote through runtime.store into MnemoraStore.
    with MnemoraStore(agent_id=agent_id, api_key=key, base_url=live.url) as store:
        item = store.get(("profile",), "contact")
        assert item is not None
        assert item.value == {"channel": "email"}
    # Each turn was logged once, in order, as episodes of the thread's session.
    history = MnemoraChatMessageHistory(
        session_id="t1", agent_id=agent_id, api_key=key, base_url=live.url
    )
    logged = history.messages
    state = agent.get_state(thread("t1")).values["messages"]
    assert [(m.type, m.text) for m in logged] == [(m.type, m.text) for m in state]
    assert [m.type for m in logged] == ["human", "ai", "tool", "ai", "tool", "ai", "human", "ai"]
    assert [m.id for m in logged] == [m.id for m in state]


def test_remember_stores_the_users_facts(live: LiveServer, key: str, agent_id: str) -> None:
    fake = model("Thanks, noted.", "Your dog is called Rex.")
    agent = build(fake, key=key, url=live.url, agent_id=agent_id, remember=True)
    agent.invoke({"messages": [("user", "My dog is called Rex")]}, thread("a"))
    agent.invoke({"messages": [("user", "What is my dog's name?")]}, thread("b"))
    (system,) = [m for m in fake.seen[-1] if isinstance(m, SystemMessage)]
    assert "My dog is called Rex" in system.text
    with MnemoraSync(api_key=key, base_url=live.url) as client:
        stored = list(client.iter_memories(agent_id))
    assert [(m.content, m.metadata) for m in stored] == [
        ("My dog is called Rex", {"source": "conversation", "thread_id": "a"}),
        ("What is my dog's name?", {"source": "conversation", "thread_id": "b"}),
    ]


async def test_the_async_agent_behaves_the_same(live: LiveServer, key: str, agent_id: str) -> None:
    fake = model(call("save_memory", content="Invoices go to billing@acme.example"), "Saved.")
    agent = build(fake, key=key, url=live.url, agent_id=agent_id)
    await agent.ainvoke({"messages": [("user", "Send invoices to billing")]}, thread("x"))
    fake2 = model("They go to billing@acme.example.")
    agent2 = build(fake2, key=key, url=live.url, agent_id=agent_id)
    await agent2.ainvoke({"messages": [("user", "Where do invoices go?")]}, thread("y"))
    (system,) = [m for m in fake2.seen[-1] if isinstance(m, SystemMessage)]
    assert "billing@acme.example" in system.text
    history = MnemoraChatMessageHistory(
        session_id="x", agent_id=agent_id, api_key=key, base_url=live.url
    )
    assert [m.type for m in await history.aget_messages()] == ["human", "ai", "tool", "ai"]


def test_an_interrupt_is_resumed_by_a_new_process(
    live: LiveServer, key: str, agent_id: str
) -> None:
    fake = model(call("issue_refund", amount=30))
    agent = build(fake, key=key, url=live.url, agent_id=agent_id)
    paused = agent.invoke({"messages": [("user", "Refund my last order")]}, thread("r"))
    (pending,) = paused["__interrupt__"]
    assert pending.value == {"question": "approve a refund of 30?"}
    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.integrations.support_agent",
            key,
            live.url,
            agent_id,
            "r",
            "approved by Dana",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr
    messages = json.loads(resumed.stdout.strip().splitlines()[-1])
    assert messages[-2:] == [
        ["tool", "refund of 30: approved by Dana"],
        ["ai", "The refund is on its way."],
    ]
    # This process sees the thread as the other process left it, logged once.
    state = agent.get_state(thread("r"))
    assert state.next == ()
    assert state.values["messages"][-1].text == "The refund is on its way."
    history = MnemoraChatMessageHistory(
        session_id="r", agent_id=agent_id, api_key=key, base_url=live.url
    )
    assert [m.type for m in history.messages] == ["human", "ai", "tool", "ai"]


def test_history_and_replay_from_an_earlier_checkpoint(
    live: LiveServer, key: str, agent_id: str
) -> None:
    fake = model("first answer", "second answer", "replayed answer")
    agent = build(fake, key=key, url=live.url, agent_id=agent_id)
    agent.invoke({"messages": [("user", "one")]}, thread("h"))
    agent.invoke({"messages": [("user", "two")]}, thread("h"))
    history = list(agent.get_state_history(thread("h")))
    assert history[0].values["messages"][-1].text == "second answer"
    # Replay from the checkpoint where turn two was about to call the model.
    before = next(
        s for s in history if s.next == ("model",) and s.values["messages"][-1].text == "two"
    )
    result = agent.invoke(None, before.config)
    assert [m.text for m in result["messages"]] == [
        "one",
        "first answer",
        "two",
        "replayed answer",
    ]
    latest = agent.get_state(thread("h"))
    assert latest.values["messages"][-1].text == "replayed answer"
    after = list(agent.get_state_history(thread("h")))
    assert len(after) > len(history), "the fork adds checkpoints; the old branch stays"
    old = agent.get_state(history[0].config)
    assert old.values["messages"][-1].text == "second answer"


def test_a_subgraphs_checkpoints_live_in_its_namespace(
    live: LiveServer, key: str, agent_id: str
) -> None:
    def ask(state: MessagesState) -> dict[str, Any]:
        answer = interrupt("which size?")
        return {"messages": [AIMessage(f"size {answer}")]}

    child = StateGraph(MessagesState)
    child.add_node("ask", ask)
    child.add_edge(START, "ask")
    parent = StateGraph(MessagesState)
    parent.add_node("order", child.compile())
    parent.add_edge(START, "order")
    with MnemoraSaver(agent_id=agent_id, api_key=key, base_url=live.url) as saver:
        graph = parent.compile(checkpointer=saver)
        graph.invoke({"messages": [("user", "a shirt")]}, thread("s"))
        state = graph.get_state(thread("s"), subgraphs=True)
        (task,) = state.tasks
        namespace = task.state.config["configurable"]["checkpoint_ns"]
        assert namespace.startswith("order:")
        stored = {c.config["configurable"]["checkpoint_ns"] for c in saver.list(thread("s"))}
        assert stored == {"", namespace}
        done = graph.invoke(Command(resume="M"), thread("s"))
        assert done["messages"][-1].text == "size M"


def test_two_customers_side_by_side(live: LiveServer, agent_id: str) -> None:
    alice = live.tenant(f"alice-{uuid.uuid4().hex[:6]}")
    bob = live.tenant(f"bob-{uuid.uuid4().hex[:6]}")
    a_model = model(
        call("save_memory", content="Alice's card ends in 4242"),
        call("remember_contact", channel="pager"),
        "Done.",
    )
    a_agent = build(a_model, key=alice, url=live.url, agent_id=agent_id)
    a_agent.invoke({"messages": [("user", "Card 4242, pager please")]}, thread("t1"))
    a_checkpoint = a_agent.get_state(thread("t1")).config["configurable"]["checkpoint_id"]

    b_model = model("I have nothing on file.")
    b_agent = build(b_model, key=bob, url=live.url, agent_id=agent_id)
    b_agent.invoke({"messages": [("user", "What card do I have, 4242?")]}, thread("t1"))
    seen = b_model.seen[-1]
    assert [m.text for m in seen if isinstance(m, HumanMessage)] == ["What card do I have, 4242?"]
    (system,) = [m for m in seen if isinstance(m, SystemMessage)]
    assert "4242" not in system.text
    assert "Alice" not in system.text
    # Knowing Alice's thread and checkpoint ids does not help Bob.
    with MnemoraSaver(agent_id=agent_id, api_key=bob, base_url=live.url) as b_saver:
        config = {"configurable": {"thread_id": "t1", "checkpoint_id": a_checkpoint}}
        assert b_saver.get_tuple(config) is None
    with MnemoraStore(agent_id=agent_id, api_key=bob, base_url=live.url) as b_store:
        assert b_store.get(("profile",), "contact") is None
        assert b_store.search(("profile",), query="pager") == []
    b_history = MnemoraChatMessageHistory(
        session_id="t1", agent_id=agent_id, api_key=bob, base_url=live.url
    )
    assert [m.text for m in b_history.messages] == [
        "What card do I have, 4242?",
        "I have nothing on file.",
    ]
    b_history.clear()
    a_history = MnemoraChatMessageHistory(
        session_id="t1", agent_id=agent_id, api_key=alice, base_url=live.url
    )
    assert a_history.messages[0].text == "Card 4242, pager please"
    with MnemoraSync(api_key=bob, base_url=live.url) as client:
        hits = client.search_memory("Alice card", agent_id=agent_id, threshold=-1)
        assert [m.content for m in hits] == ["What card do I have, 4242?"], "only Bob's own"
    assert a_agent.get_state(thread("t1")).values["messages"][-1].text == "Done."
