"""Bearer-token authentication (HS256 JWT, api.md) and role checks."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, cast

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


def decode_token(token: str, secret: str) -> Principal:
    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"require": ["sub", "role", "exp"]}
        )
    except jwt.PyJWTError as exc:
        raise ProblemError(401, "Unauthorized", f"invalid bearer token: {exc}") from None
    role = claims.get("role")
    if role not in ROLES:
        raise ProblemError(
            401, "Unauthorized", "the token's role is not one of " + str(sorted(ROLES))
        )
    if role == "school" and not claims.get("urn"):
        raise ProblemError(401, "Unauthorized", "a school token needs a urn claim")
    if role == "provider" and not claims.get("provider_id"):
        raise ProblemError(401, "Unauthorized", "a provider token needs a provider_id claim")
    return Principal(
        sub=str(claims["sub"]),
        role=cast(Role, role),
        urn=claims.get("urn"),
        provider_id=claims.get("provider_id"),
    )


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
