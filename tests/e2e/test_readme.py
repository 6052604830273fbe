"""README.md, followed literally: ``make run`` starts the server, then every shell block runs as
written against it and every Python block runs.

What the README leaves to the reader is supplied, and only that: the key ``make run``
printed stands for ``mnm_...``; ``model``, ``customer_key`` and ``documents`` (a chat model,
a customer's key, documents to index) are given to the Python blocks that use them; the
blocks marked as needing an AWS account are not run (the suite runs those stores on moto and
an embedded PostgreSQL). ``make test`` is this suite itself.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT

README = ROOT / "README.md"
BLOCK = re.compile(r"(<!-- not run by the README test[^>]*-->\n)?```(\w+)\n(.*?)```", re.DOTALL)

READER = """
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from llama_index.core import Document


class _Model(GenericFakeChatModel):
    def bind_tools(self, tools, **kwargs):
        return self


model = _Model(messages=iter(["Your parcel is on its way."]))
customer_key = __KEY__
documents = [Document(text="Parcels to Norway take 3 to 5 days.")]
"""


def blocks() -> list[tuple[str, str, bool]]:
    """(language, code, runnable) of every code block, in order."""
    return [(lang, code, not marker) for marker, lang, code in BLOCK.findall(README.read_text())]


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """``make run`` as the README says (its data in a temporary directory): the key it
    printed, and the environment the reader's shell would have."""
    if not _port_free(8000):
        pytest.skip("port 8000 is taken: the README's commands use it")
    data = tmp_path_factory.mktemp("readme") / "mnemora-data"
    env = {**os.environ, "MNEMORA_DATA_DIR": str(data)}
    log = data.parent / "make-run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            ["make", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get("http://127.0.0.1:8000/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        printed = re.search(r"^\s+(mnm_\S+)$", log.read_text(), re.MULTILINE)
        assert printed is not None, log.read_text()
        yield printed.group(1), env
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)


def test_the_readme_runs_as_written(served: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    key, env = served
    found = blocks()
    # The reader's checkout, with files the commands write landing here, not in the repository.
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    assert [lang for lang, _, _ in found].count("bash") >= 3
    ran = 0
    for number, (lang, code, runnable) in enumerate(found):
        if not runnable:
            continue
        if lang == "bash":
            script = "\n".join(
                line for line in code.splitlines() if not re.match(r"make (run|test)\b", line)
            ).replace("mnm_...", key)
            if not script.strip():
                continue
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, (number, script, done.stdout, done.stderr)
            assert '"error"' not in done.stdout, (number, done.stdout)
        else:
            prelude = READER.replace("__KEY__", repr(key)) if "customer_key" in code else ""
            program = prelude + code.replace("mnm_...", key)
            done = subprocess.run(
                [sys.executable, "-c", program],
                cwd=tmp_path,
                env={**env, "MNEMORA_API_KEY": key, "MNEMORA_API_URL": "http://127.0.0.1:8000"},
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert done.returncode == 0, (number, code, done.stderr)
        ran += 1
    skipped = [code for _, code, runnable in found if not runnable]
    assert len(skipped) == 3, "only the blocks that need an AWS account are left out"
    assert ran >= 6
