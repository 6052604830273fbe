"""Provisioning: tenants and their API keys (admin HTTP API and CLI share this service)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import ValidationError as PydanticValidationError

from mnemora_server.auth import display_prefix, hash_api_key, new_api_key
from mnemora_server.errors import NotFoundError, ValidationError
from mnemora_server.identifiers import check_identifier
from mnemora_server.stores.base import AccountStore, ApiKeyRecord, KeyScope, Tenant
from mnemora_server.tiers import TierLimits, effective_limits


@dataclass(frozen=True)
class IssuedKey:
    """A newly created key: the only moment the key itself is known.

    Attributes:
        record: What is stored (hash only).
        api_key: The key to hand to the tenant.
    """

    record: ApiKeyRecord
    api_key: str


class AccountService:
    """Creates, changes and lists tenants and keys."""

    def __init__(
        self, accounts: AccountStore, tiers: dict[str, TierLimits], clock: Callable[[], float]
    ) -> None:
        self._accounts = accounts
        self._tiers = tiers
        self._clock = clock

    def create_tenant(
        self, tenant_id: str, tier: str = "free", limits: dict[str, int] | None = None
    ) -> Tenant:
        """Create a tenant.

        Raises:
            ValidationError: Bad id, unknown tier or limit name.
            AlreadyExistsError: The id is taken.
        """
        check_identifier(tenant_id, "tenant_id")
        self._check_tier(tier)
        tenant = Tenant(
            tenant_id=tenant_id,
            tier=tier,
            limits=self._check_limits(limits or {}),
            created_at=self._clock(),
        )
        return self._accounts.create_tenant(tenant)

    def get_tenant(self, tenant_id: str) -> Tenant:
        """The tenant, or ``NotFoundError``."""
        tenant = self._accounts.get_tenant(tenant_id)
        if tenant is None:
            raise NotFoundError(f"no tenant {tenant_id!r}")
        return tenant

    def list_tenants(self, *, limit: int, after: str | None) -> list[Tenant]:
        """A page of tenants ordered by id."""
        return self._accounts.list_tenants(limit=limit, after=after)

    def update_tenant(
        self, tenant_id: str, *, tier: str | None = None, limits: dict[str, int] | None = None
    ) -> Tenant:
        """Change a tenant's tier or limit overrides (``limits={}`` clears overrides)."""
        if tier is not None:
            self._check_tier(tier)
        checked = None if limits is None else self._check_limits(limits)
        tenant = self._accounts.update_tenant(tenant_id, tier=tier, limits=checked)
        if tenant is None:
            raise NotFoundError(f"no tenant {tenant_id!r}")
        return tenant

    def tier_names(self) -> list[str]:
        """The tiers a tenant can be on, by name."""
        return sorted(self._tiers)

    def limits_of(self, tenant: Tenant) -> TierLimits:
        """The tenant's effective limits."""
        return effective_limits(self._tiers, tenant.tier, tenant.limits)

    def create_key(
        self, tenant_id: str, *, scope: KeyScope = "read_write", expires_at: float | None = None
    ) -> IssuedKey:
        """Issue a key for a tenant; the key itself is returned once and never stored."""
        self.get_tenant(tenant_id)
        if scope not in ("read_write", "read_only"):
            raise ValidationError("scope must be 'read_write' or 'read_only'")
        now = self._clock()
        if expires_at is not None and expires_at <= now:
            raise ValidationError("expires_at must be in the future")
        api_key = new_api_key()
        record = ApiKeyRecord(
            key_id="key_" + secrets.token_hex(8),
            tenant_id=tenant_id,
            key_hash=hash_api_key(api_key),
            prefix=display_prefix(api_key),
            scope=scope,
            created_at=now,
            expires_at=expires_at,
        )
        self._accounts.create_key(record)
        return IssuedKey(record=record, api_key=api_key)

    def list_keys(self, tenant_id: str) -> list[ApiKeyRecord]:
        """Every key of a tenant, newest first."""
        self.get_tenant(tenant_id)
        return self._accounts.list_keys(tenant_id)

    def revoke_key(self, key_id: str) -> None:
        """Revoke a key at once."""
        if not self._accounts.revoke_key(key_id, self._clock()):
            raise NotFoundError(f"no key {key_id!r}")

    def _check_tier(self, tier: str) -> None:
        if tier not in self._tiers:
            raise ValidationError(
                f"unknown tier {tier!r}; one of {sorted(self._tiers)}", details={"field": "tier"}
            )

    def _check_limits(self, limits: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(limits) - set(TierLimits.model_fields))
        if unknown:
            raise ValidationError(
                f"unknown limits {unknown}; allowed: {sorted(TierLimits.model_fields)}",
                details={"fields": unknown},
            )
        base = next(iter(self._tiers.values())).model_dump()
        try:
            TierLimits.model_validate({**base, **limits}, strict=True)
        except PydanticValidationError as exc:
            raise ValidationError(
                "limits must be non-negative integers (burst_per_second at least 1)",
                details=[{"loc": list(e["loc"]), "msg": e["msg"]} for e in exc.errors()],
            ) from exc
        return dict(limits)
