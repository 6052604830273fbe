"""What every console page shares: the templates, the security headers, the session guard
and the form reader."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import falcon
from jinja2 import Environment, PackageLoader, StrictUndefined

from mnemora_server import __version__
from mnemora_server.console.charts import human_bytes
from mnemora_server.console.sessions import COOKIE, Session, SessionSigner, SignInThrottle
from mnemora_server.errors import ForbiddenError, ValidationError
from mnemora_server.services.registry import Services
from mnemora_server.settings import Settings

SIGN_IN = "/console/sign-in"
"""Where a visitor without a session is sent."""

_FORM_BYTES = 16 * 1024
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'nonce-{nonce}'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@dataclass
class Console:
    """The console of one server process: its services, session signer, throttle and
    templates.

    Args:
        services: The same services the admin API uses.
        settings: The server's settings (for the service page).
        signer: Issues and checks session cookies.
        throttle: Limits failed sign-ins.
        clock: The time source.
        started_at: When this process started serving (for the uptime).
    """

    services: Services
    settings: Settings
    signer: SessionSigner
    throttle: SignInThrottle
    clock: Callable[[], float]
    started_at: float

    def __post_init__(self) -> None:
        self._templates = Environment(
            loader=PackageLoader("mnemora_server.console", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._templates.filters["bytes"] = human_bytes
        self._css = (resources.files("mnemora_server.console") / "static/console.css").read_text()

    def render(
        self,
        req: falcon.Request,
        resp: falcon.Response,
        template: str,
        *,
        session: Session | None,
        status: int = 200,
        **context: Any,
    ) -> None:
        """Answer with a page (never cached), under the console's security headers."""
        nonce = secrets.token_urlsafe(16)
        context.setdefault("error", None)
        protect(resp, nonce)
        resp.status = falcon.code_to_http_status(status)
        resp.content_type = "text/html; charset=utf-8"
        resp.text = self._templates.get_template(template).render(
            css=self._css,
            nonce=nonce,
            csrf=session.csrf if session else "",
            signed_in=session is not None,
            version=__version__,
            **context,
        )

    def session_of(self, req: falcon.Request) -> Session | None:
        """The request's valid session, if any."""
        return self.signer.check(req.cookies.get(COOKIE), self.clock())

    def require_session(self, req: falcon.Request) -> Session:
        """The request's session; without one, the visitor is sent to sign in."""
        session = self.session_of(req)
        if session is None:
            raise falcon.HTTPSeeOther(SIGN_IN)
        return session

    def read_change(self, req: falcon.Request) -> tuple[Session, dict[str, str]]:
        """The session and form of a change: same-origin, signed in, and carrying the
        session's CSRF token.

        Raises:
            ForbiddenError: A cross-site request, no session, or a missing or wrong token.
        """
        refuse_cross_site(req)
        session = self.session_of(req)
        if session is None:
            raise ForbiddenError("sign in to the console first")
        form = read_form(req)
        if not self.signer.csrf_matches(session, form.get("csrf")):
            raise ForbiddenError("the form's CSRF token is missing or wrong; reload the page")
        return session, form


class ConsoleResource:
    """A console page or form: it checks its own session (the API's auth middleware lets it
    through), over the process's :class:`Console`."""

    auth = "console"

    def __init__(self, console: Console) -> None:
        self.console = console


def protect(resp: falcon.Response, nonce: str = "") -> None:
    """Set the headers every console answer carries."""
    resp.set_header("Content-Security-Policy", _CSP.format(nonce=nonce or "none"))
    resp.set_header("X-Frame-Options", "DENY")
    resp.set_header("X-Content-Type-Options", "nosniff")
    resp.set_header("Referrer-Policy", "same-origin")  # Origin stays readable for forms
    resp.set_header("Cache-Control", "no-store")


def refuse_cross_site(req: falcon.Request) -> None:
    """Refuse a request that a browser says comes from another site (or another port).

    Browsers that send ``Sec-Fetch-Site`` are taken at their word (``same-origin``, or
    ``none`` for what the user typed); otherwise ``Origin``, when present, must name this
    host (``X-Forwarded-Host`` behind a proxy).

    Raises:
        ForbiddenError: The request comes from elsewhere.
    """
    fetch_site = req.get_header("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise ForbiddenError("cross-site requests are refused")
    origin = req.get_header("Origin")
    here = req.get_header("X-Forwarded-Host") or req.get_header("Host")
    if origin is not None and urlsplit(origin).netloc != here:
        raise ForbiddenError("cross-site requests are refused")


def read_form(req: falcon.Request) -> dict[str, str]:
    """An URL-encoded form, one value per field.

    Raises:
        ValidationError: Not a form, too large, or a field given twice.
    """
    if (req.content_type or "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        raise ValidationError("expected a form (application/x-www-form-urlencoded)")
    raw = req.bounded_stream.read(_FORM_BYTES + 1)
    if len(raw) > _FORM_BYTES:
        raise ValidationError("the form is too large")
    try:
        fields = parse_qs(raw.decode(), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValidationError("the form could not be read") from exc
    if any(len(values) > 1 for values in fields.values()):
        raise ValidationError("a form field was given twice")
    return {name: values[0] for name, values in fields.items()}


def clear_session_cookie(resp: falcon.Response) -> None:
    """Tell the browser to drop the session cookie."""
    resp.unset_cookie(COOKIE, same_site="Strict", path="/console")


def set_session_cookie(
    req: falcon.Request, resp: falcon.Response, value: str, max_age: int
) -> None:
    """Set the session cookie: HttpOnly, SameSite=Strict, for the console's paths only, and
    Secure whenever the console is reached over TLS."""
    resp.set_cookie(
        COOKIE,
        value,
        max_age=max_age,
        path="/console",
        secure=req.forwarded_scheme == "https",
        http_only=True,
        same_site="Strict",
    )
