"""Typed responses of the long-term store routes (what LangGraph's store holds)."""

from __future__ import annotations

from typing import Any

from mnemora.models.base import _Response


class StoreItem(_Response):
    """An item of an agent's long-term store.

    Attributes:
        namespace: Its namespace (a list of labels).
        key: Its key.
        value: The JSON object.
        created_at: ISO 8601 time of its first write.
        updated_at: ISO 8601 time of its last write.
        expires_at: ISO 8601 expiry, or ``None``.
        score: How similar its best indexed field is to a search's query (searches only).
    """

    namespace: list[str]
    key: str
    value: dict[str, Any]
    created_at: str
    updated_at: str
    expires_at: str | None = None
    score: float | None = None
