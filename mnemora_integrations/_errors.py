"""Errors the integrations raise before any request."""

from __future__ import annotations

from mnemora import MnemoraValidationError


class UnsupportedFilterError(MnemoraValidationError, ValueError):
    """A filter uses an operator or shape that Mnemora cannot evaluate."""

    default_code = "UNSUPPORTED_FILTER"
