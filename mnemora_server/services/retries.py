"""What makes a retried create land once: the identity of the client's request.

A write sent with an ``Idempotency-Key`` whose first attempt failed without an answer (a lost
response, a timeout, a dead process) may or may not have been applied. Its retry takes over
the key (see ``IdempotencyStore.begin``) together with the first attempt's start time, and the
services derive the new records' ids and server times from both. The retry therefore writes
the very records the first attempt may have written, and the stores, which refuse a second
record under an existing id, keep one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestOrigin:
    """One client request across all its attempts.

    Attributes:
        tenant_id: The tenant that sent it.
        key: Its ``Idempotency-Key``.
        started_at: When its first attempt started (the server time of what it creates).
    """

    tenant_id: str
    key: str
    started_at: float

    def token(self, index: int) -> str:
        """A stable 12-hex-digit token for the ``index``-th record the request creates."""
        material = f"{self.tenant_id}\0{self.key}\0{index}".encode()
        return hashlib.sha256(material).hexdigest()[:12]
