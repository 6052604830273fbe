"""The console's sign-in: signed session cookies, CSRF tokens and a sign-in throttle.

A session is a cookie ``<issued>.<nonce>.<signature>``: an HMAC-SHA256 under a key derived
from the admin token, so every worker of the server checks it without shared state, and
changing the admin token ends every session. Each session has its own CSRF token (an HMAC
of its nonce) that every form carries back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import deque
from dataclasses import dataclass

COOKIE = "mnemora_console"
"""The session cookie's name."""


@dataclass(frozen=True)
class Session:
    """A signed-in administrator's session.

    Attributes:
        nonce: The session's random identifier.
        expires_at: When the session ends (epoch seconds).
        csrf: The token every change made in this session must carry.
    """

    nonce: str
    expires_at: float
    csrf: str


class SessionSigner:
    """Issues and checks session cookies.

    Args:
        admin_token: The server's admin token (the secret the signing key derives from).
        lifetime_seconds: How long a session lasts after sign-in.
    """

    def __init__(self, admin_token: str, *, lifetime_seconds: float) -> None:
        self._key = hmac.new(
            admin_token.encode(), b"mnemora-console-session-v1", hashlib.sha256
        ).digest()
        self.lifetime_seconds = lifetime_seconds

    def issue(self, now: float) -> tuple[str, Session]:
        """A new session starting at ``now``: the cookie value and the session."""
        issued = str(int(now))
        nonce = secrets.token_urlsafe(18)
        value = f"{issued}.{nonce}.{self._sign(f'{issued}.{nonce}')}"
        return value, self._session(nonce, int(issued))

    def check(self, cookie: str | None, now: float) -> Session | None:
        """The session a cookie proves, or ``None`` (absent, forged, malformed or expired)."""
        if not cookie or cookie.count(".") != 2:
            return None
        issued, nonce, signature = cookie.split(".")
        if not hmac.compare_digest(signature, self._sign(f"{issued}.{nonce}")):
            return None
        if not issued.isdigit():
            return None
        session = self._session(nonce, int(issued))
        return session if now < session.expires_at else None

    def csrf_matches(self, session: Session, token: str | None) -> bool:
        """Whether a form's token is the session's (in constant time)."""
        return token is not None and hmac.compare_digest(token, session.csrf)

    def _session(self, nonce: str, issued: int) -> Session:
        return Session(nonce, issued + self.lifetime_seconds, self._sign(f"csrf.{nonce}"))

    def _sign(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()


class SignInThrottle:
    """Refuses sign-in from an address after too many failures in a window.

    Counted in this process (each worker of a server keeps its own count).

    Args:
        failures: Failed attempts allowed per address within the window.
        window_seconds: The sliding window.
        max_addresses: Addresses remembered at most (the oldest are forgotten first).
    """

    def __init__(
        self, *, failures: int = 5, window_seconds: float = 300.0, max_addresses: int = 10_000
    ) -> None:
        self._failures = failures
        self._window = window_seconds
        self._max_addresses = max_addresses
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, address: str, now: float) -> int | None:
        """Seconds until the address may try again, or ``None`` if it may now."""
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self._failures:
                return None
            return max(1, int(times[0] + self._window - now) + 1)

    def failed(self, address: str, now: float) -> None:
        """Count a failed attempt."""
        with self._lock:
            times = self._recent(address, now)
            times.append(now)
            self._seen[address] = times
            while len(self._seen) > self._max_addresses:
                del self._seen[next(iter(self._seen))]

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._seen.pop(address, deque())
        while times and times[0] <= now - self._window:
            times.popleft()
        if times:
            self._seen[address] = times  # re-inserted last: most recently seen
        return times
