"""LlamaIndex nodes as Mnemora memories, and back.

A node becomes one semantic memory of the store's agent and namespace: its text is the
memory's content (what the server embeds and keyword search reads), and its metadata is
LlamaIndex's own layout (``node_to_metadata_dict``): the node's metadata at the top level (so
filters see it), the whole node as JSON under ``_node_content`` (relationships included, so
``ref_doc_id`` works), ``ref_doc_id`` / ``doc_id`` / ``document_id``, plus ``_node_id``.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from llama_index.core.schema import BaseNode, MetadataMode, TextNode
from llama_index.core.vector_stores.utils import metadata_dict_to_node, node_to_metadata_dict

from mnemora.models import SemanticResponse

NODE_ID_KEY = "_node_id"
"""The metadata key holding a node's own id (for ``node_ids`` restrictions)."""

_MEMORY_ID = re.compile(r"[A-Za-z0-9_:@.\-]{1,256}")
_WHOLE_TEXT_MAX = 2000
"""Texts up to this length take a client vector; the server chunks longer ones and embeds
each chunk itself."""


def memory_id(node_id: str) -> str:
    """The memory id of a node: its own id when the server accepts it, else a stable digest."""
    if _MEMORY_ID.fullmatch(node_id) and ":chunk:" not in node_id:
        return node_id
    return "node." + hashlib.sha256(node_id.encode()).hexdigest()[:40]


def memory_of(node: BaseNode, *, with_embedding: bool) -> dict[str, Any]:
    """The item of a batch write that stores ``node`` (its id upserts)."""
    metadata = node_to_metadata_dict(node, remove_text=True, flat_metadata=False)
    metadata[NODE_ID_KEY] = node.node_id
    item: dict[str, Any] = {
        "id": memory_id(node.node_id),
        "content": node.get_content(metadata_mode=MetadataMode.NONE),
        "metadata": metadata,
        "dedup": False,
    }
    if with_embedding and node.embedding and len(item["content"]) <= _WHOLE_TEXT_MAX:
        item["embedding"] = list(node.embedding)
    return item


def node_of(memory: SemanticResponse) -> BaseNode:
    """The node a memory stores (its text, id, metadata and relationships as they were);
    a memory written without LlamaIndex becomes a plain ``TextNode``."""
    if "_node_content" not in memory.metadata:
        return TextNode(id_=memory.id, text=memory.content, metadata=dict(memory.metadata))
    return metadata_dict_to_node(memory.metadata, text=memory.content)
