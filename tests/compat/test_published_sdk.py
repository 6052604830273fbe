"""The published ``mnemora==0.1.2`` SDK, from the registry, runs unchanged against our server.

`make test` installs it into `.venv-sdk012` and passes its interpreter in
``MNEMORA_SDK012_PYTHON``.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import LiveServer

SDK012_PYTHON = os.environ.get("MNEMORA_SDK012_PYTHON")
SCRIPT = Path(__file__).with_name("sdk012_script.py")

pytestmark = pytest.mark.skipif(
    not SDK012_PYTHON or not Path(SDK012_PYTHON).exists(),
    reason="the published SDK environment is made by `make test` (MNEMORA_SDK012_PYTHON)",
)


def test_published_sdk_runs_all_16_methods_unchanged(live_server: LiveServer) -> None:
    key = live_server.tenant("compat")
    done = subprocess.run(
        [str(SDK012_PYTHON), str(SCRIPT), live_server.url, key],
        capture_output=True,
        text=True,
        timeout=120,
        cwd="/",  # make sure the published package is imported, not our source tree
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results["methods"] == 16
    assert results["conflict"] is True
    assert results["deleted"] is True
    assert results["memory_deleted"] is True
    assert results["async"] is True
    assert results["purged"]["episodic"] == 3
