"""Bearer-token authentication (HS256 JWT, api.md) and role checks."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, cast

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .problems import ProblemError

Role = Literal["la_officer", "school", "provider", "analyst", "auditor"]
ROLES: frozenset[str] = frozenset({"la_officer", "school", "provider", "analyst", "auditor"})
_bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Principal:
    """Who is calling. Scope claims: `urn` for a school, `provider_id` for a provider."""

    sub: str
    role: Role
    urn: str | None = None
    provider_id: str | None = None


_SUB = re.compile(r"^[A-Za-z0-9._@:+|-]{1,200}$")
_URN = re.compile(r"^\d{6}$")
_PROVIDER_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$")


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The principal a verified token names; 401 for any claim of the wrong type or shape.

    Token values are never echoed: a claim may carry anything its issuer put there.
    """
    role, sub = claims.get("role"), claims.get("sub")
    if not isinstance(role, str) or role not in ROLES:
        raise _unauthorized("the token's role is not one of " + ", ".join(sorted(ROLES)))
    if not isinstance(sub, str) or not _SUB.match(sub):
        raise _unauthorized("the token's sub must be an identifier (letters, digits, ._@:+|-)")
    urn, provider_id = claims.get("urn"), claims.get("provider_id")
    if urn is not None and not (isinstance(urn, str) and _URN.match(urn)):
        raise _unauthorized("the token's urn claim must be a six-digit string")
    if provider_id is not None and not (
        isinstance(provider_id, str) and _PROVIDER_ID.match(provider_id)
    ):
        raise _unauthorized("the token's provider_id claim must be an id string")
    if role == "school" and not urn:
        raise _unauthorized("a school token needs a urn claim")
    if role == "provider" and not provider_id:
        raise _unauthorized("a provider token needs a provider_id claim")
    return Principal(sub=sub, role=cast(Role, role), urn=urn, provider_id=provider_id)


def decode_token(token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "role", "exp"]}
        )
    except jwt.PyJWTError as exc:
        raise _unauthorized(f"invalid bearer token: {type(exc).__name__}") from None
    return principal_from_claims(claims)


def issue_token(secret: str, *, sub: str, role: Role, ttl_seconds: int = 3600, **scope: str) -> str:
    """A signed token, for local runs and tests (production tokens come from the LA's IdP)."""
    import time

    claims = {"sub": sub, "role": role, "exp": int(time.time()) + ttl_seconds, **scope}
    return jwt.encode(claims, secret, algorithm="HS256")


def require(*roles: Role) -> Callable[..., Principal]:
    """A FastAPI dependency: the caller's principal; 401 without a valid token, 403 other roles."""

    def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> Principal:
        if credentials is None:
            raise ProblemError(
                401,
                "Unauthorized",
                "a bearer token is required",
                headers={"WWW-Authenticate": "Bearer"},
            )
        principal = decode_token(credentials.credentials, request.app.state.settings.jwt_secret)
        if principal.role not in roles:
            raise ProblemError(403, "Forbidden", f"role {principal.role} may not do this")
        return principal

    return dependency
