"""Memories as LangChain documents."""

from __future__ import annotations

from langchain_core.documents import Document

from mnemora.models import SemanticResponse


def document_of(memory: SemanticResponse) -> Document:
    """The document a memory (or a matched chunk of one) stands for: its text, its
    document's id, and exactly the metadata stored with it (no server fields)."""
    return Document(
        page_content=memory.content,
        metadata=dict(memory.metadata),
        id=memory.parent_id or memory.id,
    )
