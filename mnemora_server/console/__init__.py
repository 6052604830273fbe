"""The operator console at ``/console``: server-rendered pages over the services the admin
API uses, for the administrator signed in with the admin token.

Nothing is fetched at run time: templates, stylesheet (inlined under a per-answer CSP nonce)
and the one small script (copy buttons) ship in the package; the pages work without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from mnemora_server.console.actions import (
    ChangeTier,
    CreateKey,
    CreateTenant,
    DeleteTenant,
    PurgeAgent,
    RevokeKey,
    SignIn,
    SignOut,
)
from mnemora_server.console.pages import (
    AssetFile,
    ExportDownload,
    ServicePage,
    TenantPage,
    TenantsPage,
)
from mnemora_server.console.sessions import SessionSigner, SignInThrottle
from mnemora_server.console.site import Console
from mnemora_server.services.registry import Services
from mnemora_server.settings import Settings

SESSION_HOURS = 8
"""How long a console session lasts after sign-in."""


def console_routes(
    settings: Settings, services: Services, clock: Callable[[], float]
) -> list[tuple[str, object]]:
    """The console's routes; none without an admin token (nobody could sign in)."""
    if not settings.admin_token:
        return []
    console = Console(
        services=services,
        settings=settings,
        signer=SessionSigner(settings.admin_token, lifetime_seconds=SESSION_HOURS * 3600),
        throttle=SignInThrottle(),
        clock=clock,
        started_at=time.time(),
    )
    return [
        ("/console", TenantsPage(console)),
        ("/console/sign-in", SignIn(console)),
        ("/console/sign-out", SignOut(console)),
        ("/console/service", ServicePage(console)),
        ("/console/assets/{name}", AssetFile(console)),
        ("/console/tenants", CreateTenant(console)),
        ("/console/tenants/{tenant_id}", TenantPage(console)),
        ("/console/tenants/{tenant_id}/export", ExportDownload(console)),
        ("/console/tenants/{tenant_id}/tier", ChangeTier(console)),
        ("/console/tenants/{tenant_id}/keys", CreateKey(console)),
        ("/console/tenants/{tenant_id}/keys/{key_id}/revoke", RevokeKey(console)),
        ("/console/tenants/{tenant_id}/agents/{agent_id}/purge", PurgeAgent(console)),
        ("/console/tenants/{tenant_id}/delete", DeleteTenant(console)),
    ]
