"""Bodies of the admin routes (tenants and keys)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from mnemora_server.identifiers import Identifier
from mnemora_server.schemas.common import RequestModel
from mnemora_server.stores.base import ApiKeyRecord, Tenant
from mnemora_server.tiers import TierLimits
from mnemora_server.timestamps import iso_time, parse_time


class TenantCreate(BaseModel):
    """``POST /v1/admin/tenants``."""

    model_config = ConfigDict(extra="forbid")

    tenant_id: Identifier
    tier: str = "free"
    limits: dict[str, StrictInt] | None = Field(
        default=None, description="Per-tenant overrides of the tier's limits."
    )


class TenantPatch(RequestModel):
    """``PATCH /v1/admin/tenants/{tenant_id}``."""

    tier: str | None = None
    limits: dict[str, StrictInt] | None = None


class KeyCreate(RequestModel):
    """``POST /v1/admin/tenants/{tenant_id}/keys``."""

    scope: Literal["read_write", "read_only"] = "read_write"
    expires_at: str | None = Field(default=None, description="ISO 8601 expiry, or null.")

    def expires_epoch(self) -> float | None:
        """``expires_at`` as epoch seconds.

        Raises:
            ValueError: If it is not an ISO 8601 timestamp.
        """
        return None if self.expires_at is None else parse_time(self.expires_at)


class TenantOut(BaseModel):
    """A tenant and its effective limits."""

    tenant_id: str
    tier: str
    limit_overrides: dict[str, int]
    limits: dict[str, int]
    created_at: str

    @classmethod
    def of(cls, tenant: Tenant, limits: TierLimits) -> TenantOut:
        """Build from a store record and the effective limits."""
        return cls(
            tenant_id=tenant.tenant_id,
            tier=tenant.tier,
            limit_overrides=dict(tenant.limits),
            limits=limits.model_dump(),
            created_at=iso_time(tenant.created_at) or "",
        )


class TenantList(BaseModel):
    """A page of tenants."""

    tenants: list[TenantOut]
    count: int
    next_cursor: str | None


class KeyOut(BaseModel):
    """What can be shown of a key (never the key itself)."""

    key_id: str
    tenant_id: str
    prefix: str
    scope: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    active: bool

    @classmethod
    def of(cls, record: ApiKeyRecord, now: float) -> KeyOut:
        """Build from a store record."""
        expired = record.expires_at is not None and record.expires_at <= now
        return cls(
            key_id=record.key_id,
            tenant_id=record.tenant_id,
            prefix=record.prefix,
            scope=record.scope,
            created_at=iso_time(record.created_at) or "",
            expires_at=iso_time(record.expires_at),
            revoked_at=iso_time(record.revoked_at),
            active=record.revoked_at is None and not expired,
        )


class IssuedKeyOut(KeyOut):
    """A new key: the only answer that contains the key itself."""

    api_key: str


class KeyList(BaseModel):
    """Every key of a tenant."""

    keys: list[KeyOut]
    count: int
    next_cursor: str | None = None


class TenantDeleted(BaseModel):
    """What deleting a tenant erased."""

    tenant_id: str
    keys_revoked: int
    deleted: dict[str, int]
