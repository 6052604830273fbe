"""The example in every public class's docstring runs as written against a live server, with
``customer_key`` a fresh customer's key and ``model`` a deterministic fake chat model."""

from __future__ import annotations

import contextlib
import io
import re
from typing import Any

import pytest

from mnemora_integrations import langchain, langgraph, llama_index
from tests.conftest import LiveServer
from tests.integrations.support_agent import model

PUBLIC = [
    langgraph.MnemoraSaver,
    langgraph.MnemoraStore,
    langchain.MnemoraVectorStore,
    langchain.MnemoraRetriever,
    langchain.MnemoraChatMessageHistory,
    langchain.MnemoraByteStore,
    langchain.MnemoraMemoryMiddleware,
    langchain.create_memory_tools,
    llama_index.MnemoraVectorStore,
    llama_index.MnemoraEmbedding,
    llama_index.MnemoraChatStore,
    llama_index.MnemoraMemoryBlock,
]
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def _example(obj: Any) -> str:
    (block,) = _BLOCK.findall(obj.__doc__ or "")
    lines = block.splitlines()
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    return "\n".join(line[indent:] for line in lines)


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda obj: obj.__name__)
def test_the_example_runs(
    live: LiveServer, key: str, obj: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MNEMORA_API_URL", live.url)
    scope = {"customer_key": key, "model": model("Noted.", "Noted again.")}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(_example(obj), f"<{obj.__name__} example>", "exec"), scope)
    for line in _example(obj).splitlines():
        # A "print(...)  # expected" line states what it prints.
        if line.startswith("print(") and "  # " in line:
            expected = line.split("  # ", 1)[1]
            assert expected in printed.getvalue(), (expected, printed.getvalue())
