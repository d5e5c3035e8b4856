"""Bearer-token authentication (JWT: JWKS-verified RS256/ES256; HS256 locally) and roles."""

import contextlib
import json
import logging
import math
import re
import threading
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from .problems import ProblemError
from .ratelimit import limits_of, too_many

if TYPE_CHECKING:
    from .claims import ClaimMapping

Role = Literal["la_officer", "school", "provider", "analyst", "auditor"]
ROLES: frozenset[str] = frozenset({"la_officer", "school", "provider", "analyst", "auditor"})
_bearer = HTTPBearer(auto_error=False)
log = logging.getLogger(__name__)


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
    """An HS256 token of a local run or a test (see TokenVerifier for the production path)."""
    return TokenVerifier(secret=secret).verify(token)


ASYMMETRIC = ("RS256", "ES256")


class Jwks:
    """The identity provider's signing keys by `kid`, from a JWKS URL or file.

    Keys are fetched at first use, again after `refresh_seconds`, and at once (at most every
    `min_refetch_seconds`) when a token names a `kid` not seen yet: that is how a rotation by the
    identity provider reaches every service without a restart.
    """

    def __init__(
        self, source: str, *, refresh_seconds: float = 300.0, min_refetch_seconds: float = 5.0
    ) -> None:
        self.source, self.refresh_seconds = source, refresh_seconds
        self.min_refetch_seconds = min_refetch_seconds
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -math.inf
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Any]:
        if self.source.startswith(("http://", "https://")):
            with urllib.request.urlopen(self.source, timeout=5) as answer:  # noqa: S310 (http(s) only, checked above)
                document: dict[str, Any] = json.loads(answer.read())
            return document
        path = self.source.removeprefix("file://")
        loaded: dict[str, Any] = json.loads(Path(path).read_text())
        return loaded

    def _refresh(self) -> None:
        keys: dict[str, jwt.PyJWK] = {}
        for jwk in self._load().get("keys", []):
            if jwk.get("kid") and jwk.get("use", "sig") == "sig":
                with contextlib.suppress(jwt.PyJWTError):
                    keys[str(jwk["kid"])] = jwt.PyJWK(jwk)
        self._keys, self._fetched_at = keys, time.monotonic()

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The identity provider's key with this `kid`, refetching a stale or unknown set."""
        with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = age > self.refresh_seconds
            unknown = kid not in self._keys and age > self.min_refetch_seconds
            if stale or unknown:
                try:
                    self._refresh()
                except (OSError, ValueError) as exc:
                    log.warning("JWKS not reachable: %s", type(exc).__name__)
            return self._keys.get(kid)


class TokenVerifier:
    """Checks a bearer token and names its principal.

    Production: RS256 or ES256 only, signed by a key of the identity provider's JWKS (`kid`
    required), with the configured issuer and audience, `exp` and `iat` present and a lifetime
    (`exp - iat`) no longer than the maximum. HS256 with a shared secret is accepted only when a
    secret is configured, which the settings allow in local runs and tests alone.

    With a claim mapping (claims.py), an IdP token's role comes from the mapping alone, never
    from a `role` claim the IdP happens to send: the authority's table decides who may do what.
    """

    def __init__(
        self,
        *,
        secret: str | None = None,
        jwks: Jwks | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        max_lifetime_seconds: int = 12 * 3600,
        leeway_seconds: int = 5,
        mapping: "ClaimMapping | None" = None,
    ) -> None:
        self.secret, self.jwks, self.mapping = secret, jwks, mapping
        self.issuer, self.audience = issuer, audience
        self.max_lifetime, self.leeway = max_lifetime_seconds, leeway_seconds
        self._verified: dict[str, tuple[Principal, float]] = {}

    def cached(self, token: str) -> Principal | None:
        """The principal of a token verified in the last CACHE_SECONDS and not yet expired:
        a client sends the same token with every request, and a signature check (RS256 above
        all) costs more than the rest of the request's auth."""
        hit = self._verified.get(token)
        if hit is None or hit[1] <= time.time():
            return None
        return hit[0]

    def verify_cached(self, token: str) -> Principal:
        """The token's principal, verified once and then cached (never past its expiry)."""
        principal = self.cached(token) or self.verify(token)
        if len(self._verified) >= CACHE_SIZE:
            self._verified.clear()  # bounded; a full cache starts over
        until = min(float(principal_expiry(token)), time.time() + CACHE_SECONDS)
        self._verified[token] = (principal, until)
        return principal

    @classmethod
    def from_settings(cls, settings: Any) -> "TokenVerifier":
        """A verifier with the service's secret or JWKS, issuer and audience."""
        jwks = (
            Jwks(settings.jwks_url, refresh_seconds=settings.jwks_refresh_seconds)
            if settings.jwks_url
            else None
        )
        mapping = None
        if settings.claim_mapping_file:
            from .claims import load

            mapping = load(settings.claim_mapping_file)
        return cls(
            mapping=mapping,
            secret=settings.jwt_secret,
            jwks=jwks,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            max_lifetime_seconds=settings.jwt_max_lifetime_seconds,
        )

    def verify(self, token: str) -> Principal:
        """The token's principal, or 401 when its signature or claims do not hold."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise _unauthorized("invalid bearer token: not a JWT") from None
        alg = header.get("alg")
        required = ["sub", "role", "exp"]
        if alg == "HS256" and self.secret is not None:
            key: Any = self.secret
        elif alg in ASYMMETRIC and self.jwks is not None:
            kid = header.get("kid")
            found = self.jwks.key(kid) if isinstance(kid, str) else None
            if found is None:
                raise _unauthorized("the token's kid is not a key of the identity provider")
            if found.algorithm_name != alg:
                raise _unauthorized("the token's alg does not match its key")
            key, required = found.key, [*required, "iat"]
            if self.mapping is not None:
                required.remove("role")
        else:
            raise _unauthorized("the token's algorithm is not accepted here")
        if self.issuer:
            required.append("iss")
        if self.audience:
            required.append("aud")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[alg],
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway,
                options={"require": required, "verify_aud": bool(self.audience)},
            )
        except jwt.PyJWTError as exc:
            raise _unauthorized(f"invalid bearer token: {type(exc).__name__}") from None
        self._check_lifetime(claims)
        if self.mapping is not None and alg in ASYMMETRIC:
            claims = mapped_claims(claims, self.mapping)
        return principal_from_claims(claims)

    def _check_lifetime(self, claims: dict[str, Any]) -> None:
        exp, iat = claims.get("exp"), claims.get("iat")
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            raise _unauthorized("the token's exp must be a number")
        if iat is None:
            if exp - time.time() > self.max_lifetime:
                raise _unauthorized("the token lives longer than the maximum lifetime")
            return
        if not isinstance(iat, int | float) or isinstance(iat, bool):
            raise _unauthorized("the token's iat must be a number")
        if exp - iat > self.max_lifetime:
            raise _unauthorized("the token lives longer than the maximum lifetime")


def mapped_claims(claims: dict[str, Any], mapping: "ClaimMapping") -> dict[str, Any]:
    """`sub` and the role, URN and provider id the mapping gives (401 wrong type, 403 none)."""
    from .claims import ClaimTypeError

    try:
        mapped = mapping.map(claims)
    except ClaimTypeError as exc:
        raise _unauthorized(f"the token was refused: {exc}") from None
    if mapped is None:
        raise ProblemError(403, "Forbidden", "the token's claims map to no role of this platform")
    scope = {"urn": mapped.urn, "provider_id": mapped.provider_id}
    return {"sub": claims.get("sub"), "role": mapped.role, **{k: v for k, v in scope.items() if v}}


CACHE_SIZE = 4096
CACHE_SECONDS = 60.0  # a key withdrawn from the JWKS stops working within a minute, as before


def principal_expiry(token: str) -> float:
    """The `exp` of a token already verified (unverified read: the signature was checked)."""
    exp = jwt.decode(token, options={"verify_signature": False}).get("exp", 0)
    return float(exp) if isinstance(exp, int | float) else 0.0


def verifier_of(app: Any) -> TokenVerifier:
    """The app's verifier, made from its settings on first use (keys cached across requests)."""
    verifier: TokenVerifier | None = getattr(app.state, "token_verifier", None)
    if verifier is None:
        verifier = TokenVerifier.from_settings(app.state.settings)
        app.state.token_verifier = verifier
    return verifier


def issue_token(secret: str, *, sub: str, role: Role, ttl_seconds: int = 3600, **scope: str) -> str:
    """A signed token, for local runs and tests (production tokens come from the LA's IdP)."""
    claims = {"sub": sub, "role": role, "exp": int(time.time()) + ttl_seconds, **scope}
    return jwt.encode(claims, secret, algorithm="HS256")


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A FastAPI dependency: the caller's principal; 401 without a valid token, 403 other roles."""

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
    ) -> Principal:
        limits = limits_of(request.app)
        address = request.client.host if request.client else "unknown"
        if (wait := limits.auth_failures.retry_after(address)) is not None:
            raise too_many(wait, "failed authentications from this address")
        try:
            if credentials is None:
                raise _unauthorized("a bearer token is required")
            verifier, token = verifier_of(request.app), credentials.credentials
            # a token seen before answers at once; a new one is verified off the event loop
            # (a JWKS refresh reads the network), not in a thread hop on every request
            principal = verifier.cached(token)
            if principal is None:
                principal = await run_in_threadpool(verifier.verify_cached, token)
        except ProblemError:
            limits.auth_failures.spend(address)
            raise
        if principal.role not in roles:
            raise ProblemError(403, "Forbidden", f"role {principal.role} may not do this")
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            who = (
                f"{principal.role}:{principal.urn or principal.provider_id or '-'}:{principal.sub}"
            )
            if (wait := limits.writes.spend(who)) is not None:
                raise too_many(wait, "writes by this caller")
        return principal

    return dependency
