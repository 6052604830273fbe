"""Help-centre pages as passages in the customer's semantic memory.

Each page is cut at its ``##`` headings; every section is one passage with its page and
heading as metadata, stored under a stable id, so running ``setup`` again replaces rather than
duplicates. Passages live in the ``knowledge`` namespace of the support agent.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from langchain_core.documents import Document
from tqdm import tqdm

from examples.support_agent.customers import Customer
from mnemora_integrations.langchain import MnemoraVectorStore

AGENT_ID = "support-agent"
NAMESPACE = "knowledge"


def passages(page: Path) -> Iterator[Document]:
    """The sections of one Markdown page, as documents with a stable id."""
    title = ""
    for block in re.split(r"^(?=#{1,2} )", page.read_text(), flags=re.MULTILINE):
        heading, _, body = block.partition("\n")
        text = " ".join(body.split())
        if heading.startswith("# "):
            title = heading[2:].strip()
            continue
        if not heading.startswith("## ") or not text:
            continue
        section = heading[3:].strip()
        slug = re.sub(r"[^a-z0-9]+", "-", section.lower()).strip("-")
        yield Document(
            page_content=f"{section}. {text}",
            metadata={"page": page.name, "title": title, "section": section},
            id=f"{page.stem}.{slug}",
        )


def ingest(customer: Customer, store: MnemoraVectorStore, *, progress: bool = True) -> int:
    """Store every passage of the customer's help-centre; returns how many."""
    docs = [doc for page in customer.knowledge for doc in passages(page)]
    for doc in tqdm(docs, desc=f"{customer.name}: knowledge", unit="passage", disable=not progress):
        store.add_documents([doc])
    return len(docs)
