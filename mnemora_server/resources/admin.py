"""Admin routes (``/v1/admin``), guarded by ``MNEMORA_ADMIN_TOKEN``; 404 without it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import falcon

from mnemora_server.errors import ValidationError
from mnemora_server.http import operation, read_body, read_query, send
from mnemora_server.identifiers import check_identifier
from mnemora_server.schemas.admin import (
    IssuedKeyOut,
    KeyCreate,
    KeyList,
    KeyOut,
    TenantCreate,
    TenantDeleted,
    TenantList,
    TenantOut,
    TenantPatch,
)
from mnemora_server.schemas.common import PageQuery
from mnemora_server.schemas.usage import DailyUsage, DailyUsageQuery, TenantAgents, Usage
from mnemora_server.services.accounts import AccountService
from mnemora_server.services.cursors import decode_cursor, encode_cursor
from mnemora_server.services.erasure import ErasureService
from mnemora_server.services.usage import UsageService

_TAGS = ("admin",)


class _AdminResource:
    auth = "admin"

    def __init__(self, accounts: AccountService, max_body_bytes: int) -> None:
        self._accounts = accounts
        self._max_body = max_body_bytes

    def _tenant_out(self, tenant_id: str) -> TenantOut:
        tenant = self._accounts.get_tenant(tenant_id)
        return TenantOut.of(tenant, self._accounts.limits_of(tenant))


class TenantsResource(_AdminResource):
    """``GET|POST /v1/admin/tenants``."""

    @operation(
        summary="Create a tenant",
        request=TenantCreate,
        response=TenantOut,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create a tenant."""
        body = read_body(req, TenantCreate, self._max_body)
        tenant = self._accounts.create_tenant(body.tenant_id, body.tier, body.limits)
        send(resp, TenantOut.of(tenant, self._accounts.limits_of(tenant)), 201)

    @operation(summary="List tenants", query=PageQuery, response=TenantList, tags=_TAGS)
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """List tenants."""
        query = read_query(req, PageQuery)
        position = decode_cursor(query.cursor, kind="tenants")
        after = str(position["after"]) if position else None
        tenants = self._accounts.list_tenants(limit=query.limit + 1, after=after)
        more = len(tenants) > query.limit
        tenants = tenants[: query.limit]
        items = [TenantOut.of(t, self._accounts.limits_of(t)) for t in tenants]
        next_cursor = (
            encode_cursor({"k": "tenants", "after": tenants[-1].tenant_id}) if more else None
        )
        send(resp, TenantList(tenants=items, count=len(items), next_cursor=next_cursor))


class TenantResource(_AdminResource):
    """``GET|PATCH|DELETE /v1/admin/tenants/{tenant_id}``."""

    def __init__(
        self, accounts: AccountService, erasure: ErasureService, max_body_bytes: int
    ) -> None:
        super().__init__(accounts, max_body_bytes)
        self._erasure = erasure

    @operation(summary="Read a tenant", response=TenantOut, tags=_TAGS)
    def on_get(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Get a tenant."""
        send(resp, self._tenant_out(check_identifier(tenant_id, "tenant_id")))

    @operation(
        summary="Change a tenant's tier or limit overrides",
        request=TenantPatch,
        response=TenantOut,
        writes=True,
        tags=_TAGS,
    )
    def on_patch(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Update a tenant."""
        check_identifier(tenant_id, "tenant_id")
        body = read_body(req, TenantPatch, self._max_body)
        tenant = self._accounts.update_tenant(tenant_id, tier=body.tier, limits=body.limits)
        send(resp, TenantOut.of(tenant, self._accounts.limits_of(tenant)))

    @operation(
        summary="Delete a tenant: revoke its keys and erase all its data",
        response=TenantDeleted,
        writes=True,
        tags=_TAGS,
    )
    def on_delete(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Delete a tenant."""
        check_identifier(tenant_id, "tenant_id")
        send(resp, self._erasure.delete_tenant(tenant_id))


class TenantKeysResource(_AdminResource):
    """``GET|POST /v1/admin/tenants/{tenant_id}/keys``."""

    def __init__(
        self, accounts: AccountService, clock: Callable[[], float], max_body_bytes: int
    ) -> None:
        super().__init__(accounts, max_body_bytes)
        self._clock = clock

    @operation(
        summary="Issue an API key (shown only in this answer)",
        request=KeyCreate,
        response=IssuedKeyOut,
        status=201,
        writes=True,
        tags=_TAGS,
    )
    def on_post(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Create a key."""
        check_identifier(tenant_id, "tenant_id")
        body = read_body(req, KeyCreate, self._max_body)
        try:
            expires_at = body.expires_epoch()
        except ValueError as exc:
            raise ValidationError("expires_at must be an ISO 8601 timestamp") from exc
        issued = self._accounts.create_key(tenant_id, scope=body.scope, expires_at=expires_at)
        shown = KeyOut.of(issued.record, self._clock())
        send(resp, IssuedKeyOut(**shown.model_dump(), api_key=issued.api_key), 201)

    @operation(
        summary="List a tenant's keys (never the keys themselves)", response=KeyList, tags=_TAGS
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """List keys."""
        check_identifier(tenant_id, "tenant_id")
        now = self._clock()
        keys = [KeyOut.of(k, now) for k in self._accounts.list_keys(tenant_id)]
        send(resp, KeyList(keys=keys, count=len(keys)))


class KeyResource(_AdminResource):
    """``DELETE /v1/admin/keys/{key_id}``."""

    @operation(summary="Revoke a key at once", status=204, writes=True, tags=_TAGS)
    def on_delete(self, req: falcon.Request, resp: falcon.Response, key_id: str) -> None:
        """Revoke a key."""
        check_identifier(key_id, "key_id")
        self._accounts.revoke_key(key_id)
        resp.status = falcon.HTTP_204


class _TenantFiguresResource(_AdminResource):
    """An admin route that reports figures of one tenant (usage, days, agents)."""

    def __init__(self, accounts: AccountService, usage: UsageService, max_body_bytes: int) -> None:
        super().__init__(accounts, max_body_bytes)
        self._usage = usage

    def _tenant(self, tenant_id: str) -> Any:
        """The tenant the path names (400 for a bad id, 404 for none)."""
        return self._accounts.get_tenant(check_identifier(tenant_id, "tenant_id"))


class TenantUsageResource(_TenantFiguresResource):
    """``GET /v1/admin/tenants/{tenant_id}/usage``."""

    @operation(summary="A tenant's usage and limits", response=Usage, tags=_TAGS)
    def on_get(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Report a tenant's usage."""
        tenant = self._tenant(tenant_id)
        send(
            resp,
            self._usage.report(tenant.tenant_id, tenant.tier, self._accounts.limits_of(tenant)),
        )


class TenantDailyUsageResource(_TenantFiguresResource):
    """``GET /v1/admin/tenants/{tenant_id}/usage/daily``."""

    @operation(
        summary="A tenant's usage per day (at least 90 days are kept)",
        query=DailyUsageQuery,
        response=DailyUsage,
        tags=_TAGS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Report a tenant's daily usage."""
        tenant = self._tenant(tenant_id)
        query = read_query(req, DailyUsageQuery)
        days = self._usage.daily(tenant.tenant_id, query.days)
        send(resp, DailyUsage.model_validate({"tenant_id": tenant.tenant_id, "days": days}))


class TenantAgentsResource(_TenantFiguresResource):
    """``GET /v1/admin/tenants/{tenant_id}/agents``."""

    @operation(
        summary="A tenant's agents and what each holds per memory type",
        response=TenantAgents,
        tags=_TAGS,
    )
    def on_get(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """List a tenant's agents."""
        tenant = self._tenant(tenant_id)
        agents = self._usage.agents(tenant.tenant_id)
        send(
            resp,
            TenantAgents.model_validate(
                {"tenant_id": tenant.tenant_id, "agents": agents, "count": len(agents)}
            ),
        )
