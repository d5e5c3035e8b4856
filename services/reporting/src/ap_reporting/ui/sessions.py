"""Server-side dashboard sessions and the sign-ins in flight, held in this process's memory.

The browser holds only a random id; what the session grants lives here, so a sign-out or a
timeout ends it at once, whatever the cookie says. Idle and absolute timeouts both apply. A
sign-in in flight (OIDC `state`) is used once: taking it removes it, so a replayed callback finds
nothing. Pure: the clock is passed in. One replica's memory: several replicas need sticky sessions.
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from ap_chassis.auth import Principal

MAX_SESSIONS = 50_000
MAX_PENDING = 10_000


@dataclass
class Session:
    principal: Principal
    created: float
    last_seen: float
    method: str  # "oidc" or "token"
    id_token: str | None = None  # the hint for RP-initiated logout
    expires: float | None = None  # a pasted token's own exp


@dataclass(frozen=True)
class Pending:
    """A sign-in sent to the IdP: what the callback must match (state is the key)."""

    nonce: str
    code_verifier: str
    browser: str  # the random value of this browser's sign-in cookie
    created: float


class SessionStore:
    def __init__(
        self,
        *,
        idle_seconds: float,
        absolute_seconds: float,
        pending_seconds: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.idle, self.absolute, self.pending_ttl = idle_seconds, absolute_seconds, pending_seconds
        self.clock = clock
        self._sessions: dict[str, Session] = {}
        self._pending: dict[str, Pending] = {}

    def create(
        self,
        principal: Principal,
        method: str,
        *,
        id_token: str | None = None,
        expires: float | None = None,
    ) -> str:
        now = self.clock()
        if len(self._sessions) >= MAX_SESSIONS:
            self._sweep(now)
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = Session(principal, now, now, method, id_token, expires)
        return sid

    def get(self, sid: str | None) -> Session | None:
        """The live session of `sid` (its idle clock restarts), or None when over a limit."""
        if not sid:
            return None
        found = self._sessions.get(sid)
        now = self.clock()
        if found is None:
            return None
        if not self._live(found, now):
            del self._sessions[sid]
            return None
        found.last_seen = now
        return found

    def drop(self, sid: str | None) -> Session | None:
        return self._sessions.pop(sid, None) if sid else None

    def _live(self, s: Session, now: float) -> bool:
        return (
            now - s.last_seen <= self.idle
            and now - s.created <= self.absolute
            and (s.expires is None or now < s.expires)
        )

    def _sweep(self, now: float) -> None:
        self._sessions = {k: s for k, s in self._sessions.items() if self._live(s, now)}
        if len(self._sessions) >= MAX_SESSIONS:  # still full: the oldest go first
            keep = sorted(self._sessions.items(), key=lambda kv: kv[1].last_seen)
            self._sessions = dict(keep[len(keep) // 2 :])

    def begin(self, state: str, nonce: str, code_verifier: str, browser: str) -> None:
        now = self.clock()
        if len(self._pending) >= MAX_PENDING:
            self._pending = {
                k: p for k, p in self._pending.items() if now - p.created <= self.pending_ttl
            }
            if len(self._pending) >= MAX_PENDING:
                self._pending.clear()  # a flood of unfinished sign-ins: start over
        self._pending[state] = Pending(nonce, code_verifier, browser, now)

    def take(self, state: str, browser: str | None) -> Pending | None:
        """The sign-in this `state` began, once, in the browser that began it, in time."""
        found = self._pending.pop(state, None)
        if found is None or browser is None or not secrets.compare_digest(found.browser, browser):
            return None
        if self.clock() - found.created > self.pending_ttl:
            return None
        return found
