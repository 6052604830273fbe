"""Opaque list cursors.

A cursor only records a position inside the caller's own listing (for example the last
session id seen). The tenant and the listing's scope always come from the authenticated key and
the request path, never from the cursor, so altering a cursor cannot reach another tenant.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from mnemora_server.errors import ValidationError


def encode_cursor(position: dict[str, Any]) -> str:
    """Encode a listing position as an opaque URL-safe string."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, kind: str) -> dict[str, Any] | None:
    """Decode a cursor made by :func:`encode_cursor` for a listing of ``kind``.

    Raises:
        ValidationError: If the cursor is malformed or belongs to another kind of listing.
    """
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValidationError("invalid cursor", details={"field": "cursor"}) from exc
    if not isinstance(position, dict) or position.get("k") != kind:
        raise ValidationError("invalid cursor", details={"field": "cursor"})
    return position
