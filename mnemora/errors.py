"""The SDK's error tree; HTTP status codes are mapped to these in one place."""

from __future__ import annotations

from typing import Any


class MnemoraError(Exception):
    """Base of every SDK error.

    Attributes:
        message: Human-readable description.
        code: Machine-readable code from the API (for example ``VERSION_CONFLICT``).
        status_code: HTTP status, or 0 when no answer arrived.
        details: Structured details from the API, if any.
        request_id: The server's request id, to quote in support requests.
    """

    def __init__(
        self,
        message: str,
        code: str = "UNKNOWN",
        status_code: int = 0,
        *,
        details: Any = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.status_code = status_code
        self.details = details
        self.request_id = request_id
        super().__init__(message)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(message={self.message!r}, code={self.code!r}, "
            f"status_code={self.status_code!r})"
        )


class _StatusError(MnemoraError):
    """An error with a fixed status and default code."""

    default_status = 0
    default_code = "UNKNOWN"
    default_message = "error"

    def __init__(
        self,
        message: str | None = None,
        code: str | None = None,
        *,
        details: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message or self.default_message,
            code or self.default_code,
            self.default_status,
            details=details,
            request_id=request_id,
        )


class MnemoraValidationError(_StatusError):
    """400: the request broke a rule (or was not JSON)."""

    default_status, default_code = 400, "VALIDATION_ERROR"
    default_message = "Validation error - check request parameters."


class MnemoraAuthError(_StatusError):
    """401: missing, unknown, revoked or expired API key."""

    default_status, default_code = 401, "UNAUTHORIZED"
    default_message = "Unauthorized - check your API key."


class MnemoraForbiddenError(MnemoraAuthError):
    """403: the key may not do this (for example a read-only key writing)."""

    default_status, default_code = 403, "FORBIDDEN"
    default_message = "Forbidden for this key."


class MnemoraNotFoundError(_StatusError):
    """404: no such resource for this tenant."""

    default_status, default_code = 404, "NOT_FOUND"
    default_message = "Resource not found."


class MnemoraConflictError(_StatusError):
    """409: a version conflict (re-read and retry) or an ``Idempotency-Key`` conflict."""

    default_status, default_code = 409, "CONFLICT"
    default_message = "Conflict - version mismatch. Re-read and retry."


class MnemoraPayloadTooLargeError(MnemoraValidationError):
    """413: the request or the stored document is too large."""

    default_status, default_code = 413, "PAYLOAD_TOO_LARGE"
    default_message = "Payload too large."


class MnemoraRateLimitError(_StatusError):
    """429 after all retries.

    Attributes:
        retry_after: Seconds the server asked to wait, if it said.
    """

    default_status, default_code = 429, "RATE_LIMITED"
    default_message = "Rate limited - slow down and retry."

    def __init__(
        self,
        message: str | None = None,
        code: str | None = None,
        *,
        retry_after: float | None = None,
        details: Any = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, code, details=details, request_id=request_id)
        self.retry_after = retry_after


class MnemoraQuotaExceededError(_StatusError):
    """507: a storage or vector quota of the tier is reached."""

    default_status, default_code = 507, "QUOTA_EXCEEDED"
    default_message = "Quota exceeded."


class MnemoraServerError(MnemoraError):
    """5xx after all retries."""


class MnemoraUnavailableError(MnemoraServerError):
    """503: a backend of the server is down; the write did not happen."""


class MnemoraConnectionError(MnemoraError):
    """No answer: the server could not be reached (after all retries)."""


class MnemoraTimeoutError(MnemoraConnectionError):
    """No answer within the timeout (after all retries)."""


class MnemoraConfigError(MnemoraError):
    """The client is misconfigured (for example no API key)."""


_BY_STATUS: dict[int, type[_StatusError]] = {
    400: MnemoraValidationError,
    401: MnemoraAuthError,
    403: MnemoraForbiddenError,
    404: MnemoraNotFoundError,
    409: MnemoraConflictError,
    413: MnemoraPayloadTooLargeError,
    422: MnemoraValidationError,
    429: MnemoraRateLimitError,
    507: MnemoraQuotaExceededError,
}


def error_for_status(status: int, body: Any, *, retry_after: float | None = None) -> MnemoraError:
    """The exception for an error answer with ``status`` and parsed JSON ``body``."""
    error = body.get("error", {}) if isinstance(body, dict) else {}
    error = error if isinstance(error, dict) else {}
    meta = body.get("meta", {}) if isinstance(body, dict) else {}
    message = str(error.get("message") or f"HTTP {status}")
    code = str(error.get("code") or "UNKNOWN")
    details = error.get("details")
    request_id = meta.get("request_id") if isinstance(meta, dict) else None
    cls = _BY_STATUS.get(status)
    if cls is MnemoraRateLimitError:
        return MnemoraRateLimitError(
            message, code, retry_after=retry_after, details=details, request_id=request_id
        )
    if cls is not None:
        return cls(message, code, details=details, request_id=request_id)
    if status == 503:
        return MnemoraUnavailableError(
            message, code, status, details=details, request_id=request_id
        )
    if status >= 500:
        return MnemoraServerError(message, code, status, details=details, request_id=request_id)
    return MnemoraError(message, code, status, details=details, request_id=request_id)
