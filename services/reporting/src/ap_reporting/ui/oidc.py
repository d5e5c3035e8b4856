"""OpenID Connect sign-in for the dashboard: authorization code flow with PKCE, state and nonce.

Authlib makes the authorization request and redeems the code (client secret, PKCE S256); joserfc
(Authlib's JOSE library) checks the ID token's signature against the IdP's JWKS and its iss, aud,
exp, iat and nonce. The claims then go through the authority's claim mapping (ap_chassis.claims):
no mapped role, no session. The person is known here by a pseudonymous actor id only (a hash of
issuer and subject), never by a name or e-mail address.
"""

import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from ap_chassis.auth import Principal, principal_from_claims
from ap_chassis.claims import ClaimMapping, ClaimTypeError
from ap_chassis.problems import ProblemError
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import AsyncOAuth2Client
from joserfc import jws, jwt
from joserfc.errors import ClaimError, JoseError
from joserfc.jwk import KeySet

from .signin_settings import SignInSettings

CALLBACK = "/ui/auth/callback"
ALGORITHMS = ("RS256", "ES256")
DISCOVERY_SECONDS = 3600.0  # the discovery document and keys are read again after this
KEY_REFETCH_SECONDS = 30.0  # an unknown kid fetches the keys again, at most this often
LEEWAY_SECONDS = 30


class IdpUnreachableError(Exception):
    """The identity provider did not answer (or answered nonsense): 503, try again later."""


class SignInRefusedError(Exception):
    """The sign-in is refused; the message is shown to the person and names no claim value."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def actor_id(issuer: str, sub: str) -> str:
    """The pseudonymous id a person is known by here: stable per IdP account, not a name."""
    return "oidc-" + hashlib.sha256(f"{issuer}\n{sub}".encode()).hexdigest()[:32]


def verify_id_token(
    id_token: str, keys: KeySet, *, issuer: str, client_id: str, nonce: str, now: int | None = None
) -> dict[str, Any]:
    """The ID token's claims once its signature, iss, aud, azp, exp, iat and nonce hold."""
    try:
        token = jwt.decode(id_token, keys, algorithms=list(ALGORITHMS))
    except JoseError as exc:
        raise SignInRefusedError(
            401, f"the ID token's signature was refused ({exc.error})"
        ) from None
    registry = jwt.JWTClaimsRegistry(
        now=now,
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        sub={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
    )
    try:
        registry.validate(token.claims)
    except ClaimError as exc:
        raise SignInRefusedError(401, f"the ID token's {exc.claim} claim was refused") from None
    aud, azp = token.claims["aud"], token.claims.get("azp")
    if ((isinstance(aud, list) and len(aud) > 1) or azp is not None) and azp != client_id:
        raise SignInRefusedError(401, "the ID token's azp claim was refused")
    sub = token.claims["sub"]
    if not isinstance(sub, str):
        raise SignInRefusedError(401, "the ID token's sub claim was refused")
    return token.claims


def principal_of_claims(claims: dict[str, Any], mapping: ClaimMapping, issuer: str) -> Principal:
    """The principal the authority's table gives these claims; 403 with the reason otherwise."""
    try:
        mapped = mapping.map(claims)
    except ClaimTypeError as exc:
        raise SignInRefusedError(
            403, f"Your identity provider sent a claim this service cannot use: {exc}."
        ) from None
    if mapped is None:
        raise SignInRefusedError(
            403,
            "You signed in, but your account has no role in AP Journey: none of your groups,"
            " app roles or organisation claims is in this authority's role table. Ask your"
            " authority's AP Journey administrator to assign you a role.",
        )
    scope = {"urn": mapped.urn, "provider_id": mapped.provider_id}
    fields = {"sub": actor_id(issuer, claims["sub"]), "role": mapped.role}
    try:
        return principal_from_claims({**fields, **{k: v for k, v in scope.items() if v}})
    except ProblemError as exc:
        raise SignInRefusedError(403, str(exc.detail)) from None


@dataclass
class _Discovered:
    metadata: dict[str, Any]
    keys: KeySet
    fetched: float
    keys_fetched: float


class OidcClient:
    """One IdP, as the settings name it; discovery and keys fetched on first use and cached."""

    def __init__(self, settings: SignInSettings, mapping: ClaimMapping) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id and settings.oidc_redirect_base
        self.issuer = settings.oidc_issuer
        self.client_id, self.secret = settings.oidc_client_id, settings.oidc_client_secret
        self.scopes, self.timeout = settings.oidc_scopes, settings.oidc_timeout_seconds
        self.redirect_uri = settings.oidc_redirect_base + CALLBACK
        self.after_logout = settings.oidc_redirect_base + "/ui/sign-in"
        self.mapping = mapping
        self._found: _Discovered | None = None

    def _client(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.secret,
            scope=self.scopes,
            redirect_uri=self.redirect_uri,
            code_challenge_method="S256",
            timeout=self.timeout,
        )

    async def _get_json(self, client: httpx.AsyncClient, url: str) -> dict[str, Any]:
        try:
            answer = await client.get(url)
            answer.raise_for_status()
            document = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise IdpUnreachableError(type(exc).__name__) from None
        if not isinstance(document, dict):
            raise IdpUnreachableError("not a JSON object")
        return document

    async def discovered(self, *, keys_again: bool = False) -> _Discovered:
        now = time.monotonic()
        found = self._found
        fresh = found is not None and now - found.fetched < DISCOVERY_SECONDS
        if fresh and found and (not keys_again or now - found.keys_fetched < KEY_REFETCH_SECONDS):
            return found
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            if found is None or now - found.fetched >= DISCOVERY_SECONDS:
                metadata = await self._get_json(
                    client, self.issuer.rstrip("/") + "/.well-known/openid-configuration"
                )
                if metadata.get("issuer") != self.issuer:
                    raise IdpUnreachableError("the discovery document names another issuer")
            else:
                metadata = found.metadata
            for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(metadata.get(endpoint), str):
                    raise IdpUnreachableError(f"the discovery document has no {endpoint}")
            jwks = await self._get_json(client, metadata["jwks_uri"])
        try:
            keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise IdpUnreachableError(f"the IdP's keys: {type(exc).__name__}") from None
        self._found = _Discovered(metadata, keys, now, now)
        return self._found

    async def authorization_url(self, state: str, nonce: str, code_verifier: str) -> str:
        found = await self.discovered()
        async with self._client() as client:  # builds the URL (S256 challenge); sends nothing
            url, _ = client.create_authorization_url(
                found.metadata["authorization_endpoint"],
                state=state,
                code_verifier=code_verifier,
                nonce=nonce,
            )
        return str(url)

    async def finish(self, code: str, nonce: str, code_verifier: str) -> tuple[Principal, str]:
        """Redeem the code, check the ID token and map its claims: (principal, ID token)."""
        found = await self.discovered()
        try:
            async with self._client() as client:
                answer = await client.fetch_token(
                    found.metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=code_verifier,
                )
        except OAuthError as exc:
            refused = f"the identity provider refused the code ({exc.error})"
            raise SignInRefusedError(401, refused) from None
        except (httpx.HTTPError, ValueError) as exc:
            raise IdpUnreachableError(type(exc).__name__) from None
        id_token = answer.get("id_token")
        if not isinstance(id_token, str):
            raise SignInRefusedError(401, "the identity provider sent no ID token")
        keys = found.keys
        if _kid(id_token) not in {k.kid for k in keys.keys}:
            keys = (await self.discovered(keys_again=True)).keys  # a rotation at the IdP
        claims = verify_id_token(
            id_token, keys, issuer=self.issuer, client_id=self.client_id, nonce=nonce
        )
        return principal_of_claims(claims, self.mapping, self.issuer), id_token

    async def end_session_url(self, id_token: str | None) -> str | None:
        """Where the browser goes to end the session at the IdP too (RP-initiated logout)."""
        try:
            found = await self.discovered()
        except IdpUnreachableError:
            return None
        endpoint = found.metadata.get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = {"client_id": self.client_id, "post_logout_redirect_uri": self.after_logout}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}?{urlencode(query)}"


def _kid(token: str) -> str | None:
    try:
        kid = jws.extract_compact(token.encode()).headers().get("kid")
    except (JoseError, ValueError):
        return None
    return kid if isinstance(kid, str) else None
