"""LangGraph on Mnemora: a checkpointer and a long-term store, one tenant key and agent each.

Install with ``pip install "mnemora[langchain]"``.
"""

from __future__ import annotations

try:
    import langgraph.checkpoint.base  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installation
    raise ImportError(
        'mnemora_integrations.langgraph needs LangGraph: pip install "mnemora[langchain]"'
    ) from exc

from mnemora_integrations.langgraph.saver import MnemoraSaver
from mnemora_integrations.langgraph.store import MnemoraStore

__all__ = ["MnemoraSaver", "MnemoraStore"]
