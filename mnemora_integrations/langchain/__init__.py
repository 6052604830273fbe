"""LangChain on Mnemora: every class is bound to one customer's key and one agent.

- :class:`MnemoraVectorStore`: a ``VectorStore`` over semantic memory (server embeddings).
- :class:`MnemoraRetriever`: hybrid search as a ``BaseRetriever``.
- :class:`MnemoraChatMessageHistory`: one session's messages as episodes.
- :class:`MnemoraByteStore`: a ``ByteStore`` over working memory.
- :class:`MnemoraMemoryMiddleware`: recall and logging for ``create_agent``.
- :func:`create_memory_tools`: tools to search and save long-term memories.

Install with ``pip install "mnemora[langchain]"``.
"""

from mnemora_integrations.langchain.byte_store import MnemoraByteStore
from mnemora_integrations.langchain.chat_history import MnemoraChatMessageHistory
from mnemora_integrations.langchain.filters import UnsupportedFilterError, translate_filter
from mnemora_integrations.langchain.middleware import (
    FactExtractor,
    MnemoraMemoryMiddleware,
    MnemoraMemoryState,
)
from mnemora_integrations.langchain.retrievers import MnemoraRetriever
from mnemora_integrations.langchain.tools import create_memory_tools
from mnemora_integrations.langchain.vectorstores import MnemoraVectorStore

__all__ = [
    "FactExtractor",
    "MnemoraByteStore",
    "MnemoraChatMessageHistory",
    "MnemoraMemoryMiddleware",
    "MnemoraMemoryState",
    "MnemoraRetriever",
    "MnemoraVectorStore",
    "UnsupportedFilterError",
    "create_memory_tools",
    "translate_filter",
]
