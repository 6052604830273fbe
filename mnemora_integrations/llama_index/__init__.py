"""LlamaIndex on Mnemora: every class is bound to one customer's key (and one agent).

- :class:`MnemoraVectorStore`: a vector store over semantic memory (server embeddings).
- :class:`MnemoraEmbedding`: embeddings from the server's model.
- :class:`MnemoraChatStore`: the chat store of ``Memory`` (and, through
  :meth:`MnemoraChatStore.legacy`, of ``ChatMemoryBuffer``).
- :class:`MnemoraMemoryBlock`: long-term memory for ``Memory``.

Install with ``pip install "mnemora[llamaindex]"``.
"""

from mnemora_integrations._errors import UnsupportedFilterError
from mnemora_integrations.llama_index.chat_store import MnemoraChatStore, MnemoraLegacyChatStore
from mnemora_integrations.llama_index.embeddings import MnemoraEmbedding
from mnemora_integrations.llama_index.filters import translate_filters
from mnemora_integrations.llama_index.memory_block import MnemoraMemoryBlock
from mnemora_integrations.llama_index.vector_store import MnemoraVectorStore

__all__ = [
    "MnemoraChatStore",
    "MnemoraEmbedding",
    "MnemoraLegacyChatStore",
    "MnemoraMemoryBlock",
    "MnemoraVectorStore",
    "UnsupportedFilterError",
    "translate_filters",
]
