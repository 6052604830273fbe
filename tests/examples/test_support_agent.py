"""The support agent example end to end, offline, on both configurations: three customers set
up through the admin API, each answered from its own knowledge only, a ticket resumed by
other processes, usage, export, and a purge that leaves the other customers untouched."""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from examples.support_agent.agent import SupportAgent
from examples.support_agent.customers import CUSTOMERS
from examples.support_agent.model import OfflineModel
from mnemora import MnemoraSync
from tests.conftest import ADMIN_TOKEN, ROOT, LiveServer
from tests.examples.design_snippet import design_snippet

# (customer, question, a phrase of the answer from that customer's own help centre)
OWN = [
    ("acme", "How long does a refund take?", "within 14 days of a charge"),
    ("acme", "How do I restore files from a backup?", "choose Restore"),
    ("acme", "What does the Pro plan cost?", "15 dollars a month"),
    ("globex", "How do I reset my entry PIN?", "choose New PIN"),
    ("globex", "Can I get a refund on my Flex membership?", "never refunded"),
    ("globex", "How much is a personal training session?", "40 dollars each"),
    ("initech", "Can I reset a pay run after submitting it?", "cannot be reset"),
    ("initech", "How much does the Growth plan cost?", "4 dollars per employee"),
    ("initech", "Do you give refunds when I cancel?", "account credit"),
]
# Questions whose answer is in another customer's help centre only.
ELSEWHERE = [
    ("acme", "How do I reset my entry PIN?"),
    ("acme", "How much does the Growth plan cost?"),
    ("globex", "How do I restore files from a backup?"),
    ("globex", "What does the Pro plan cost?"),
    ("initech", "How much is a personal training session?"),
    ("initech", "How do I reset my entry PIN?"),
]


@pytest.fixture(scope="module")
def example(live: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The example's environment after ``setup`` (one run per configuration)."""
    keys = tmp_path_factory.mktemp("example") / "keys.json"
    env = {
        **os.environ,
        "MNEMORA_API_URL": live.url,
        "MNEMORA_ADMIN_TOKEN": ADMIN_TOKEN,
        "MNEMORA_EXAMPLE_KEYS": str(keys),
        "PYTHONPATH": str(ROOT),
    }
    for name in ("MNEMORA_EXAMPLE_MODEL", "MNEMORA_EXAMPLE_BASE_URL", "MNEMORA_API_KEY"):
        env.pop(name, None)
    out = run(env, "setup")
    for customer in CUSTOMERS.values():
        assert f"{customer.name}: 8 help-centre passages ({customer.product})" in out
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600, "keys are private"
    return env


def run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "examples.support_agent", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def agent(example: dict[str, str], name: str) -> SupportAgent:
    keys = json.loads(Path(example["MNEMORA_EXAMPLE_KEYS"]).read_text())
    return SupportAgent(CUSTOMERS[name], keys[name], OfflineModel(), example["MNEMORA_API_URL"])


def test_each_customer_is_answered_from_its_own_knowledge(example: dict[str, str]) -> None:
    for name, question, phrase in OWN:
        bot = agent(example, name)
        try:
            answer = bot.ask(f"own-{name}-{abs(hash(question))}", question)
        finally:
            bot.close()
        assert phrase in answer.text, (name, question, answer.text)
        assert answer.sources, "the passages used are cited"
        assert answer.ticket["status"] == "answered"


def test_another_customers_knowledge_is_never_used(example: dict[str, str]) -> None:
    for name, question in ELSEWHERE:
        bot = agent(example, name)
        try:
            answer = bot.ask(f"elsewhere-{name}-{abs(hash(question))}", question)
        finally:
            bot.close()
        assert answer.text.startswith("I don't know"), (name, question, answer.text)
        assert answer.sources == []
        assert answer.ticket["status"] == "escalated"


def test_a_ticket_is_resumed_by_other_processes(example: dict[str, str]) -> None:
    first = run(example, "ask", "acme", "How long does a refund take?", "--ticket", "T-100")
    assert "within 14 days" in first
    assert "Source: [1] billing.md > Refunds" in first
    assert "[ticket T-100: category=billing, status=answered, turns=1]" in first
    second = run(
        example, "ask", "acme", "I prefer email. How do I reset my password?", "--ticket", "T-100"
    )
    assert "Forgot password" in second
    assert "turns=2" in second
    history = run(example, "history", "acme", "--ticket", "T-100")
    assert history.splitlines()[0] == "human: How long does a refund take?"
    assert "human: I prefer email. How do I reset my password?" in history
    assert "category=account, status=answered, turns=2" in history
    keys = json.loads(Path(example["MNEMORA_EXAMPLE_KEYS"]).read_text())
    with MnemoraSync(api_key=keys["acme"], base_url=example["MNEMORA_API_URL"]) as client:
        checkpoints = list(client.iter_checkpoints("support-agent", thread_id="T-100"))
        assert checkpoints, "the ticket's graph state is checkpointed"
        facts = client.store_batch(
            "support-agent", [{"op": "search", "namespace_prefix": ["customer"], "limit": 10}]
        )[0]
        assert [f.value["fact"] for f in facts] == ["I prefer email. How do I reset my password?"]


def test_usage_export_and_purge(example: dict[str, str], tmp_path: Path) -> None:
    run(example, "ask", "globex", "How do I reset my entry PIN?", "--ticket", "G-1")
    usage = run(example, "usage")
    assert [line.split(":")[0] for line in usage.splitlines()] == ["acme", "globex", "initech"]
    dump = tmp_path / "globex.jsonl"
    assert "lines written" in run(example, "export", "globex", str(dump))
    exported = dump.read_text()
    assert "choose New PIN" in exported
    assert "Forgot password" not in exported, "nothing of another customer"
    receipt = run(example, "purge", "globex")
    assert receipt.startswith("erased: state_deleted=")
    counts = dict(part.split("=") for part in receipt.strip()[len("erased: ") :].split(", "))
    assert int(counts["semantic_deleted"]) >= 8
    assert int(counts["checkpoints_deleted"]) > 0
    assert int(counts["episodes_deleted"]) > 0
    bot = agent(example, "globex")
    try:
        assert bot.history("G-1") == []
        assert bot.tickets.get("G-1") == {}
        assert bot.knowledge.similarity_search("entry PIN", k=3) == []
    finally:
        bot.close()
    again = run(example, "ask", "initech", "Can I reset a pay run after submitting it?")
    assert "cannot be reset" in again, "the other customers are untouched"


def test_the_design_snippet_runs_unchanged(
    live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = live.tenant(f"design-{live.url.rsplit(':', 1)[1]}")
    with MnemoraSync(api_key=key, base_url=live.url) as client:
        client.store_memories(
            "support-agent",
            [{"content": "Password resets are done from Settings > Security > Reset password"}],
        )
    printed = io.StringIO()
    monkeypatch.setenv("MNEMORA_API_URL", live.url)
    with contextlib.redirect_stdout(printed):
        design_snippet(key, "How do I reset my password?")
    out = printed.getvalue()
    assert (
        "PurgeResponse(state_deleted=0, semantic_deleted=2, episodes_deleted=1, "
        "procedural_deleted=0, checkpoints_deleted=0, items_deleted=0)"
    ) in out, "the receipt counts every store"
    context = out.split("context was:")[1]
    assert context.strip().startswith("Password resets are done from Settings")


def test_chat_talks_until_an_empty_line(example: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "examples.support_agent", "chat", "initech", "--ticket", "C-1"],
        cwd=ROOT,
        env=example,
        input="How do I add a new employee?\nWhen are year-end tax forms issued?\n\nignored\n",
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    replies = [line for line in done.stdout.splitlines() if line.startswith("agent> ")]
    assert len(replies) == 2
    assert "People, Add employee" in replies[0]
    assert "end of January" in done.stdout
    assert "turns=2" in done.stdout


def test_the_model_is_chosen_by_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    from examples.support_agent.model import chat_model

    monkeypatch.delenv("MNEMORA_EXAMPLE_MODEL", raising=False)
    monkeypatch.delenv("MNEMORA_EXAMPLE_BASE_URL", raising=False)
    assert isinstance(chat_model(), OfflineModel)
    monkeypatch.setenv("MNEMORA_EXAMPLE_MODEL", "openai:gpt-4.1-mini")
    # The provider's package is the user's to install; LangChain says which one.
    with pytest.raises(ImportError, match="langchain-openai"):
        chat_model()
