"""The console's pages (``GET``): tenants, one tenant, its export, the service,
and the assets (served to signed-in visitors only)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from importlib import resources

import falcon

from mnemora_server.console.figures import service_page, tenant_page, tenant_rows
from mnemora_server.console.site import ConsoleResource, protect
from mnemora_server.errors import NotFoundError
from mnemora_server.http import send_ndjson
from mnemora_server.identifiers import check_identifier

_ASSETS = {"console.js": "text/javascript; charset=utf-8"}


class TenantsPage(ConsoleResource):
    """``GET /console``: every tenant, closest to a limit first."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The tenants page, filtered by ``?q=``."""
        session = self.console.require_session(req)
        search = (req.get_param("q") or "").strip()[:256]
        rows = tenant_rows(self.console.services, search, self.console.clock())
        self.console.render(
            req,
            resp,
            "tenants.html",
            session=session,
            rows=rows,
            search=search,
            tiers=self.console.services.accounts.tier_names(),
            error=None,
            form={},
        )


class TenantPage(ConsoleResource):
    """``GET /console/tenants/{tenant_id}``."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """One tenant: keys, agents, usage charts, and the erasure forms."""
        session = self.console.require_session(req)
        check_identifier(tenant_id, "tenant_id")
        page = tenant_page(self.console.services, tenant_id, self.console.clock())
        self.console.render(
            req, resp, "tenant.html", session=session, issued=None, error=None, **page
        )


class ExportDownload(ConsoleResource):
    """``GET /console/tenants/{tenant_id}/export``: the tenant's (or ``?agent_id=``'s)
    memory as an NDJSON download, from the export the API serves."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, tenant_id: str) -> None:
        """Stream the export."""
        self.console.require_session(req)
        tenant = self.console.services.accounts.get_tenant(check_identifier(tenant_id, "tenant_id"))
        agent_id = req.get_param("agent_id") or None
        if agent_id is not None:
            check_identifier(agent_id, "agent_id")
        lines = self.console.services.transfer.export(tenant.tenant_id, agent_id)
        day = datetime.fromtimestamp(self.console.clock(), UTC).strftime("%Y%m%d")
        name = f"mnemora-{tenant.tenant_id}{'-' + agent_id if agent_id else ''}-{day}.ndjson"
        protect(resp)
        resp.downloadable_as = name
        send_ndjson(resp, lines)


class ServicePage(ConsoleResource):
    """``GET /console/service``: store health, version, uptime and traffic."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        """The service page."""
        session = self.console.require_session(req)
        console = self.console
        figures = service_page(console.services, console.settings, console.started_at, time.time())
        self.console.render(req, resp, "service.html", session=session, **figures)


class AssetFile(ConsoleResource):
    """``GET /console/assets/{name}``: the console's script, for signed-in visitors."""

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        """Serve one shipped asset."""
        self.console.require_session(req)
        if name not in _ASSETS:
            raise NotFoundError(f"no asset {name!r}")
        protect(resp)
        resp.content_type = _ASSETS[name]
        resp.data = (resources.files("mnemora_server.console") / "static" / name).read_bytes()
