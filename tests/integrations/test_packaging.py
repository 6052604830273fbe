"""What each import pulls in: the SDK stays free of every framework; each integration loads
its own framework only; the public names are the ones documented."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FRAMEWORKS = ("langchain", "langchain_core", "langgraph", "llama_index")


def _loaded_after(statement: str) -> set[str]:
    script = (
        f"import sys, json\n{statement}\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout))


def test_the_sdk_imports_no_framework() -> None:
    loaded = _loaded_after("import mnemora; from mnemora import MnemoraSync, MnemoraClient")
    assert loaded.isdisjoint(FRAMEWORKS), loaded & set(FRAMEWORKS)


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("mnemora_integrations.langgraph", {"langchain", "llama_index"}),
        ("mnemora_integrations.langchain", {"llama_index"}),
        ("mnemora_integrations.llama_index", {"langchain", "langchain_core", "langgraph"}),
    ],
)
def test_an_integration_loads_its_framework_only(module: str, absent: set[str]) -> None:
    loaded = _loaded_after(f"import {module}")
    assert loaded.isdisjoint(absent), loaded & absent


def test_the_public_names() -> None:
    from mnemora_integrations import langchain, langgraph, llama_index

    assert {"MnemoraSaver", "MnemoraStore"} <= set(langgraph.__all__)
    assert {
        "MnemoraVectorStore",
        "MnemoraRetriever",
        "MnemoraChatMessageHistory",
        "MnemoraByteStore",
        "MnemoraMemoryMiddleware",
        "create_memory_tools",
    } <= set(langchain.__all__)
    assert {
        "MnemoraVectorStore",
        "MnemoraChatStore",
        "MnemoraMemoryBlock",
        "MnemoraEmbedding",
    } <= set(llama_index.__all__)
