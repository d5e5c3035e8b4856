"""The web session: a random id in an HttpOnly, SameSite=Strict cookie; the rest server-side.

What the session grants is kept by this process (sessions.py), so sign-out and the idle and
absolute timeouts end it whatever the browser holds. Sign-in is by the authority's OpenID provider
(oidc.py); pasting a bearer token is offered in local runs and tests only, and such a token is
verified exactly as the API verifies it (the same `require`). CSRF: every form carries an HMAC of
the session id (or, before sign-in, of a random pre-session cookie) under a key of this process.
"""

import hashlib
import hmac
import inspect
import logging
import secrets
from typing import Any

from ap_chassis.auth import Principal, Role, principal_expiry, require
from ap_chassis.claims import load
from fastapi import Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from .oidc import OidcClient
from .sessions import Session, SessionStore

SESSION = "ap_session"
PRE_SESSION = "ap_presession"
SIGN_IN = "ap_signin"  # binds an OIDC sign-in in flight to the browser that began it
ALL_ROLES: tuple[Role, ...] = ("la_officer", "school", "provider", "analyst", "auditor")
log = logging.getLogger("ap_reporting.ui.sign_in")


class SignInRequiredError(Exception):
    """No valid session: the page redirects to the sign-in form."""


def paste_allowed(request: Request) -> bool:
    """Token paste is for local runs and tests: in production people sign in at their IdP."""
    return bool(request.app.state.settings.environment in ("local", "test"))


def store(request: Request) -> SessionStore:
    found: SessionStore | None = getattr(request.app.state, "ui_sessions", None)
    if found is None:
        settings = request.app.state.settings
        found = SessionStore(
            idle_seconds=settings.ui_session_idle_seconds,
            absolute_seconds=settings.ui_session_absolute_seconds,
        )
        request.app.state.ui_sessions = found
    return found


def oidc_client(request: Request) -> OidcClient | None:
    """The app's OIDC client, or None when no issuer is configured (the mapping file is read
    on first use; a bad file refuses sign-in with the reason in the log, not a crash)."""
    settings = request.app.state.settings
    if not settings.oidc_issuer:
        return None
    client: OidcClient | None = getattr(request.app.state, "oidc_client", None)
    if client is None:
        client = OidcClient(settings, load(settings.claim_mapping_file))
        request.app.state.oidc_client = client
    return client


async def verify(request: Request, token: str, roles: tuple[Role, ...] = ALL_ROLES) -> Principal:
    """The principal of a token, checked by the API's own dependency (ProblemError if refused)."""
    creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    result: Any = require(*roles)(request, creds)
    if inspect.isawaitable(result):
        result = await result
    return result  # type: ignore[no-any-return]


def start(request: Request, principal: Principal, method: str, **kw: Any) -> str:
    """A new session; logged with the pseudonymous actor id and role, nothing else."""
    sid = store(request).create(principal, method, **kw)
    log.info("sign-in actor=%s role=%s method=%s", principal.sub, principal.role, method)
    return sid


def start_pasted(request: Request, principal: Principal, token: str) -> str:
    return start(request, principal, "token", expires=principal_expiry(token))


def end(request: Request) -> Session | None:
    ended = store(request).drop(request.cookies.get(SESSION))
    if ended is not None:
        log.info("sign-out actor=%s role=%s", ended.principal.sub, ended.principal.role)
    return ended


async def principal_of(request: Request) -> tuple[Principal, str]:
    """The session's principal and its id (what CSRF values are bound to)."""
    sid = request.cookies.get(SESSION)
    found = store(request).get(sid)
    if found is None or sid is None:
        raise SignInRequiredError
    return found.principal, sid


def _csrf_key(request: Request) -> bytes:
    key: bytes | None = getattr(request.app.state, "ui_csrf_key", None)
    if key is None:
        key = secrets.token_bytes(32)  # sessions live in this process, and so does their key
        request.app.state.ui_csrf_key = key
    return key


def csrf_token(request: Request, bound_to: str) -> str:
    return hmac.new(_csrf_key(request), b"csrf:" + bound_to.encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, bound_to: str | None, submitted: str | None) -> bool:
    if not bound_to or not submitted:
        return False
    return hmac.compare_digest(csrf_token(request, bound_to), submitted)


def new_pre_session() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(
    request: Request,
    response: Response,
    name: str,
    value: str,
    max_age: int,
    *,
    path: str = "/ui",
    samesite: str = "strict",
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        samesite=samesite,  # type: ignore[arg-type]
        secure=request.app.state.settings.environment == "production",
    )
