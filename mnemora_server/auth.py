"""API keys and the tenant context they establish.

A key is ``mnm_`` followed by 256 random bits (URL-safe base64). Only its SHA-256 is stored,
and a lookup hashes the presented key first, so the time a lookup takes does not depend on
how much of a real key the presented one shares.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mnemora_server.errors import UnauthorizedError
from mnemora_server.stores.base import AccountStore, KeyScope
from mnemora_server.tiers import TierLimits, effective_limits

KEY_PREFIX = "mnm_"
_KEY_RANDOM_BYTES = 32
_DISPLAY_PREFIX_CHARS = 8


@dataclass(frozen=True)
class TenantContext:
    """Who is calling: derived from the API key alone, passed to every service call.

    Attributes:
        tenant_id: The tenant the key belongs to.
        key_id: The key's public identifier.
        scope: ``read_write`` or ``read_only``.
        tier: The tenant's tier name.
        limits: The tenant's effective limits (tier plus overrides).
    """

    tenant_id: str
    key_id: str
    scope: KeyScope
    tier: str
    limits: TierLimits


def new_api_key() -> str:
    """A fresh API key: ``mnm_`` and 256 random bits."""
    return KEY_PREFIX + secrets.token_urlsafe(_KEY_RANDOM_BYTES)


def hash_api_key(api_key: str) -> str:
    """The hex SHA-256 under which a key is stored."""
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def display_prefix(api_key: str) -> str:
    """The part of a key shown in listings so people can tell keys apart."""
    return api_key[:_DISPLAY_PREFIX_CHARS]


def bearer_token(authorization: str | None) -> str:
    """Extract the key from an ``Authorization: Bearer mnm_...`` header.

    Raises:
        UnauthorizedError: If the header is missing or not a bearer key.
    """
    if not authorization:
        raise UnauthorizedError("missing Authorization header; send 'Bearer mnm_...'")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(KEY_PREFIX) or len(token) > 200:
        raise UnauthorizedError("malformed Authorization header; send 'Bearer mnm_...'")
    return token


def admin_token_matches(presented: str | None, expected: str) -> bool:
    """Constant-time comparison of an admin bearer token."""
    if not presented:
        return False
    scheme, _, token = presented.strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


class Authenticator:
    """Turns a presented key into a :class:`TenantContext`, consulting the store every time.

    Nothing is cached, so a revoked key is refused on the very next request in every process.
    """

    def __init__(self, accounts: AccountStore, tiers: dict[str, TierLimits]) -> None:
        self._accounts = accounts
        self._tiers = tiers

    def authenticate(self, api_key: str, now: float) -> TenantContext:
        """Resolve a key.

        Raises:
            UnauthorizedError: Unknown, revoked or expired key (one message for all, so that
                a caller learns nothing about which).
        """
        found = self._accounts.find_key(hash_api_key(api_key))
        if found is None:
            raise UnauthorizedError("invalid API key")
        key, tenant = found
        if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
            raise UnauthorizedError("invalid API key")
        return TenantContext(
            tenant_id=tenant.tenant_id,
            key_id=key.key_id,
            scope=key.scope,
            tier=tenant.tier,
            limits=effective_limits(self._tiers, tenant.tier, tenant.limits),
        )


CLAIM_FIELDS = ("tenant_id", "key_id", "scope", "tier", "limits")
"""What an authorizer hands the API about the caller (every value a string)."""


def claims_of(tenant: TenantContext) -> dict[str, str]:
    """The caller as an API Gateway authorizer's context (string values only)."""
    return {
        "tenant_id": tenant.tenant_id,
        "key_id": tenant.key_id,
        "scope": tenant.scope,
        "tier": tenant.tier,
        "limits": tenant.limits.model_dump_json(),
    }


def tenant_from_claims(claims: Mapping[str, Any] | None) -> TenantContext:
    """The caller an authorizer vouched for (its context, passed on by API Gateway).

    Raises:
        UnauthorizedError: No authorizer context, or one that is not ours.
    """
    if not claims or any(not isinstance(claims.get(name), str) for name in CLAIM_FIELDS):
        raise UnauthorizedError("no authorizer context: this API is reached through its gateway")
    scope = claims["scope"]
    if scope not in ("read_write", "read_only"):
        raise UnauthorizedError("the authorizer context names no valid scope")
    try:
        limits = TierLimits.model_validate_json(claims["limits"])
    except ValueError as exc:
        raise UnauthorizedError("the authorizer context holds no valid limits") from exc
    return TenantContext(
        tenant_id=claims["tenant_id"],
        key_id=claims["key_id"],
        scope=scope,
        tier=claims["tier"],
        limits=limits,
    )
