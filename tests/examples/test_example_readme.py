"""The example's README, followed literally: every command of its shell blocks runs as
written (the server is this test's; ``make run`` is what started it)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from tests.conftest import ADMIN_TOKEN, ROOT, LiveServer

README = ROOT / "examples" / "support_agent" / "README.md"


def commands() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", README.read_text(), re.DOTALL)
    found = []
    for block in blocks:
        for line in block.splitlines():
            if line.startswith(".venv/bin/python -m examples.support_agent"):
                found.append(shlex.split(line, comments=True))
    return found


def test_every_command_of_the_readme_runs(live_server: LiveServer, tmp_path: Path) -> None:
    listed = commands()
    assert [c[3] for c in listed] == [
        "setup",
        "ask",
        "ask",
        "ask",
        "ask",
        "history",
        "usage",
        "export",
        "purge",
    ]
    env = {
        **os.environ,
        "MNEMORA_API_URL": live_server.url,
        "MNEMORA_ADMIN_TOKEN": ADMIN_TOKEN,
        "PYTHONPATH": str(ROOT),
    }
    for name in ("MNEMORA_EXAMPLE_KEYS", "MNEMORA_EXAMPLE_MODEL", "MNEMORA_EXAMPLE_BASE_URL"):
        env.pop(name, None)
    outputs = []
    for command in listed:
        done = subprocess.run(
            [sys.executable, *command[1:]],
            cwd=tmp_path,  # where the keys file lands, as in a user's own directory
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        outputs.append(done.stdout)
    assert (tmp_path / ".support-agent-keys.json").exists()
    assert "Source: [1] billing.md > Refunds" in outputs[1]
    assert outputs[3].startswith("I don't know"), "the entry PIN is Globex's"
    assert "erased: state_deleted=" in outputs[-1]
