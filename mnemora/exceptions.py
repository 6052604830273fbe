"""Import path of the 0.1.x SDK, kept for compatibility: see :mod:`mnemora.errors`."""

from __future__ import annotations

from mnemora.errors import (
    MnemoraAuthError,
    MnemoraConflictError,
    MnemoraError,
    MnemoraNotFoundError,
    MnemoraRateLimitError,
    MnemoraValidationError,
)

__all__ = [
    "MnemoraAuthError",
    "MnemoraConflictError",
    "MnemoraError",
    "MnemoraNotFoundError",
    "MnemoraRateLimitError",
    "MnemoraValidationError",
]
