"""The web session: the bearer token in an HttpOnly, SameSite=Strict cookie, and CSRF tokens.

The token is verified exactly as the API verifies a bearer token (the same `require`), on every
request. CSRF: every form carries an HMAC of the session (or, before sign-in, of a random
pre-session cookie) under the service's secret; a POST without the matching value is refused.
"""

import hashlib
import hmac
import inspect
import secrets
from typing import Any

from ap_chassis.auth import Principal, Role, require
from ap_chassis.problems import ProblemError
from fastapi import Request, Response
from fastapi.security import HTTPAuthorizationCredentials

SESSION = "ap_session"
PRE_SESSION = "ap_presession"
ALL_ROLES: tuple[Role, ...] = ("la_officer", "school", "provider", "analyst", "auditor")


class SignInRequiredError(Exception):
    """No valid session: the page redirects to the sign-in form."""


async def verify(request: Request, token: str, roles: tuple[Role, ...] = ALL_ROLES) -> Principal:
    """The principal of a token, checked by the API's own dependency (ProblemError if refused)."""
    creds = HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
    result: Any = require(*roles)(request, creds)
    if inspect.isawaitable(result):
        result = await result
    return result  # type: ignore[no-any-return]


async def principal_of(request: Request) -> tuple[Principal, str]:
    token = request.cookies.get(SESSION)
    if not token:
        raise SignInRequiredError
    try:
        return await verify(request, token), token
    except ProblemError:
        raise SignInRequiredError from None


def csrf_token(request: Request, bound_to: str) -> str:
    secret = request.app.state.settings.jwt_secret.encode()
    return hmac.new(secret, b"csrf:" + bound_to.encode(), hashlib.sha256).hexdigest()


def csrf_ok(request: Request, bound_to: str | None, submitted: str | None) -> bool:
    if not bound_to or not submitted:
        return False
    return hmac.compare_digest(csrf_token(request, bound_to), submitted)


def new_pre_session() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/ui",
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.environment == "production",
    )
