"""The console's changes (``POST`` forms): sign-in and sign-out, tenants, tiers, keys and
erasure. Each one is same-origin, signed in and CSRF-checked (sign-in: same-origin and
throttled), and calls the same services as the admin API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import falcon

from mnemora_server.auth import admin_token_matches
from mnemora_server.console.figures import tenant_page, tenant_rows
from mnemora_server.console.site import (
    SIGN_IN,
    ConsoleResource,
    clear_session_cookie,
    read_form,
    refuse_cross_site,
    set_session_cookie,
)
from mnemora_server.errors import MnemoraServerError, RateLimitedError, ValidationError
from mnemora_server.identifiers import check_identifier
from mnemora_server.schemas.admin import KeyOut


class SignIn(ConsoleResource):
    """``GET|POST /console/sign-in``: the admin token starts a session."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The sign-in form (or, when signed in already, the tenants)."""
        if self.console.session_of(req) is not None:
            raise falcon.HTTPSeeOther("/console")
        self.console.render(req, resp, "sign_in.html", session=None, error=None)

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Check the token (throttled per address) and set the session cookie."""
        refuse_cross_site(req)
        console = self.console
        now = console.clock()
        address = req.remote_addr or "unknown"
        wait = console.throttle.retry_after(address, now)
        if wait is not None:
            raise RateLimitedError(
                f"too many failed sign-ins; try again in {wait} s",
                details={"limit": "console_sign_in"},
                headers={"Retry-After": str(wait)},
            )
        token = read_form(req).get("token", "")
        if not admin_token_matches(f"Bearer {token}", console.settings.admin_token or ""):
            console.throttle.failed(address, now)
            console.render(
                req,
                resp,
                "sign_in.html",
                session=None,
                status=401,
                error="That is not the admin token.",
            )
            return
        cookie, _ = console.signer.issue(now)
        set_session_cookie(req, resp, cookie, int(console.signer.lifetime_seconds))
        raise falcon.HTTPSeeOther("/console")


class SignOut(ConsoleResource):
    """``POST /console/sign-out``."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Clear the session cookie."""
        self.console.read_change(req)
        clear_session_cookie(resp)
        raise falcon.HTTPSeeOther(SIGN_IN)


class CreateTenant(ConsoleResource):
    """``POST /console/tenants``."""

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        """Create a tenant, then show it."""
        session, form = self.console.read_change(req)
        services = self.console.services
        try:
            tenant = services.accounts.create_tenant(
                form.get("tenant_id", ""), form.get("tier", "")
            )
        except MnemoraServerError as exc:
            self.console.render(
                req,
                resp,
                "tenants.html",
                session=session,
                status=exc.status,
                rows=tenant_rows(services, "", self.console.clock()),
                search="",
                tiers=services.accounts.tier_names(),
                error=exc.message,
                form=form,
            )
            return
        raise falcon.HTTPSeeOther(f"/console/tenants/{tenant.tenant_id}")


class _TenantAction(ConsoleResource):
    """A change to one tenant; a refused change shows the tenant's page with the reason."""

    def _fail(
        self, req: falcon.Request, resp: falcon.Response, session: Any, tenant_id: str, exc: Any
    ) -> None:
        page = tenant_page(self.console.services, tenant_id, self.console.clock())
        self.console.render(
            req,
            resp,
            "tenant.html",
            session=session,
            status=exc.status,
            issued=None,
            error=exc.message,
            **page,
        )


class ChangeTier(_TenantAction):
    """``POST /console/tenants/{tenant_id}/tier``."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Move the tenant to another tier."""
        session, form = self.console.read_change(req)
        check_identifier(tenant_id, "tenant_id")
        try:
            self.console.services.accounts.update_tenant(tenant_id, tier=form.get("tier", ""))
        except ValidationError as exc:
            self._fail(req, resp, session, tenant_id, exc)
            return
        raise falcon.HTTPSeeOther(f"/console/tenants/{tenant_id}")


class CreateKey(_TenantAction):
    """``POST /console/tenants/{tenant_id}/keys``: the new key is shown in this answer only."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Issue a key and show it once."""
        session, form = self.console.read_change(req)
        check_identifier(tenant_id, "tenant_id")
        accounts = self.console.services.accounts
        try:
            expires_at = _end_of_day(form.get("expires_on", ""))
            issued = accounts.create_key(
                tenant_id,
                scope=form.get("scope", "read_write"),  # type: ignore[arg-type]
                expires_at=expires_at,
            )
        except ValidationError as exc:
            self._fail(req, resp, session, tenant_id, exc)
            return
        page = tenant_page(self.console.services, tenant_id, self.console.clock())
        shown = KeyOut.of(issued.record, self.console.clock())
        self.console.render(
            req,
            resp,
            "tenant.html",
            session=session,
            status=201,
            issued={"key": issued.api_key, "record": shown},
            error=None,
            **page,
        )


class RevokeKey(_TenantAction):
    """``POST /console/tenants/{tenant_id}/keys/{key_id}/revoke``."""

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, tenant_id: str, key_id: str
    ) -> None:
        """Revoke one of the tenant's keys."""
        self.console.read_change(req)
        check_identifier(tenant_id, "tenant_id")
        accounts = self.console.services.accounts
        if key_id not in {key.key_id for key in accounts.list_keys(tenant_id)}:
            raise falcon.HTTPNotFound(description=f"{tenant_id!r} has no key {key_id!r}")
        accounts.revoke_key(key_id)
        raise falcon.HTTPSeeOther(f"/console/tenants/{tenant_id}")


class PurgeAgent(_TenantAction):
    """``POST /console/tenants/{tenant_id}/agents/{agent_id}/purge``: behind the agent's id
    typed again; answers with the receipt."""

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, tenant_id: str, agent_id: str
    ) -> None:
        """Erase one agent of the tenant."""
        session, form = self.console.read_change(req)
        services = self.console.services
        tenant = services.accounts.get_tenant(check_identifier(tenant_id, "tenant_id"))
        check_identifier(agent_id, "agent_id")
        if form.get("confirm") != agent_id:
            self._fail(
                req,
                resp,
                session,
                tenant_id,
                ValidationError(f"type the agent's id ({agent_id}) to confirm the purge"),
            )
            return
        receipt = services.erasure.purge_agent(tenant.tenant_id, agent_id)
        self.console.render(
            req,
            resp,
            "receipt.html",
            session=session,
            what=f"agent {agent_id} of {tenant.tenant_id}",
            tenant_id=tenant.tenant_id,
            deleted=receipt["deleted"],
            keys_revoked=None,
        )


class DeleteTenant(_TenantAction):
    """``POST /console/tenants/{tenant_id}/delete``: behind the tenant's id typed again;
    answers with the receipt."""

    def on_post(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Revoke the tenant's keys and erase all its data."""
        session, form = self.console.read_change(req)
        check_identifier(tenant_id, "tenant_id")
        if form.get("confirm") != tenant_id:
            self._fail(
                req,
                resp,
                session,
                tenant_id,
                ValidationError(f"type the tenant's id ({tenant_id}) to confirm the deletion"),
            )
            return
        receipt = self.console.services.erasure.delete_tenant(tenant_id)
        self.console.render(
            req,
            resp,
            "receipt.html",
            session=session,
            what=f"tenant {tenant_id}",
            tenant_id=None,
            deleted=receipt["deleted"],
            keys_revoked=receipt["keys_revoked"],
        )


def _end_of_day(day: str) -> float | None:
    """The end (UTC) of a ``YYYY-MM-DD`` day, or ``None`` for no day."""
    if not day:
        return None
    try:
        start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError as exc:
        raise ValidationError("the expiry must be a date (YYYY-MM-DD)") from exc
    return start.timestamp() + 86_400
