"""The reference example runs unchanged against a live embedded-default server."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import ROOT, LiveServer

MAIN = ROOT / "examples" / "support_agent" / "main.py"


def run(live_server: LiveServer, key: str, *args: str) -> str:
    env = {**os.environ, "MNEMORA_API_KEY": key, "MNEMORA_API_URL": live_server.url}
    done = subprocess.run(
        [sys.executable, str(MAIN), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_agent_answers_from_its_customers_knowledge(live_server: LiveServer) -> None:
    acme = live_server.tenant("example-acme")
    out = run(live_server, acme, "How do I reset my password?", "--purge")
    assert "knowledge notes stored: 7" in out
    reply = out.split("Here is what I found:")[1]
    assert reply.strip().splitlines()[0].startswith("Password resets are done from Settings")
    assert "Our office is closed" not in reply
    assert "user: How do I reset my password?" in out
    assert "PurgeResponse(state_deleted=1, semantic_deleted=7, episodes_deleted=2)" in out


def test_another_customer_agent_knows_nothing_of_the_first(live_server: LiveServer) -> None:
    first = live_server.tenant("example-first")
    second = live_server.tenant("example-second")
    run(live_server, first, "How do I reset my password?")
    env = {**os.environ, "MNEMORA_API_KEY": second, "MNEMORA_API_URL": live_server.url}
    probe = (
        "from mnemora import MnemoraSync\n"
        "with MnemoraSync() as c:\n"
        "    print(len(c.search_memory('password reset', threshold=-1)),"
        " c.list_sessions('support-agent'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.strip() == "0 []", done.stderr


def test_the_design_snippet_runs_unchanged(live_server: LiveServer) -> None:
    key = live_server.tenant("example-design")
    run(live_server, key)  # seed the knowledge and one ticket
    out = run(live_server, key, "How do I reset my password?", "--design-snippet")
    assert "PurgeResponse(state_deleted=1, semantic_deleted=8, episodes_deleted=3)" in out
    context = out.split("context was:")[1]
    assert context.strip().splitlines()[0].startswith("Password resets are done from Settings")
