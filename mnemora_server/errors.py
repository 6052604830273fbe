"""The server's one error tree.

Services and stores raise these; :func:`mnemora_server.app.create_app` maps them to HTTP once,
at the edge, into the JSON error envelope.
"""

from __future__ import annotations

from typing import Any


class MnemoraServerError(Exception):
    """Base of every error the API reports to a client.

    Attributes:
        status: HTTP status code.
        code: Machine-readable error code.
        message: Human-readable explanation.
        details: Optional structured details (field errors, limits).
        headers: Extra response headers (for example ``Retry-After``).
    """

    status = 500
    code = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class ValidationError(MnemoraServerError):
    """The request is well-formed JSON but breaks a rule."""

    status = 400
    code = "VALIDATION_ERROR"


class InvalidJSONError(MnemoraServerError):
    """The request body is not valid JSON."""

    status = 400
    code = "INVALID_JSON"


class UnauthorizedError(MnemoraServerError):
    """No valid credentials."""

    status = 401
    code = "UNAUTHORIZED"


class ForbiddenError(MnemoraServerError):
    """Valid credentials that may not do this (for example a read-only key writing)."""

    status = 403
    code = "FORBIDDEN"


class NotFoundError(MnemoraServerError):
    """The resource does not exist for this tenant."""

    status = 404
    code = "NOT_FOUND"


class MethodNotAllowedError(MnemoraServerError):
    """The route exists but not with this method."""

    status = 405
    code = "METHOD_NOT_ALLOWED"


class ConflictError(MnemoraServerError):
    """A generic conflict with the current state of a resource."""

    status = 409
    code = "CONFLICT"


class VersionConflictError(ConflictError):
    """An optimistic-locking version did not match."""

    code = "VERSION_CONFLICT"


class IdempotencyConflictError(ConflictError):
    """An ``Idempotency-Key`` is in use by an unfinished request or for another request."""

    code = "IDEMPOTENCY_CONFLICT"


class AlreadyExistsError(ConflictError):
    """A resource with this identifier already exists."""

    code = "ALREADY_EXISTS"


class PayloadTooLargeError(MnemoraServerError):
    """The request body or a stored document is larger than allowed."""

    status = 413
    code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaTypeError(MnemoraServerError):
    """The request body is not JSON."""

    status = 415
    code = "UNSUPPORTED_MEDIA_TYPE"


class RateLimitedError(MnemoraServerError):
    """A per-day or per-second call limit is reached."""

    status = 429
    code = "RATE_LIMITED"


class NotConfiguredError(MnemoraServerError):
    """The feature needs configuration this server does not have."""

    status = 501
    code = "NOT_CONFIGURED"


class UnavailableError(MnemoraServerError):
    """A backend store failed; the operation did not take effect."""

    status = 503
    code = "UNAVAILABLE"


class QuotaExceededError(MnemoraServerError):
    """A storage or vector quota of the tenant's tier is reached."""

    status = 507
    code = "QUOTA_EXCEEDED"
