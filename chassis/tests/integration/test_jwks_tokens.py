"""Tokens the way LAs run them: RS256/ES256 against the identity provider's JWKS. Keys are made
here (cryptography); the JWKS is a file or served by a local HTTP server."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
import pytest
from ap_chassis.auth import Jwks, TokenVerifier
from ap_chassis.problems import ProblemError
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ISSUER, AUDIENCE = "https://idp.example/", "ap-journey"


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def ec_key():
    return ec.generate_private_key(ec.SECP256R1())


def jwk_of(private, kid: str, alg: str) -> dict:
    algorithm = jwt.algorithms.RSAAlgorithm if alg == "RS256" else jwt.algorithms.ECAlgorithm
    public = json.loads(algorithm.to_jwk(private.public_key()))
    return {**public, "kid": kid, "alg": alg, "use": "sig"}


def mint(private, kid: str, alg: str = "RS256", lifetime: int = 600, **claims) -> str:
    now = int(time.time())
    body = {"sub": "officer-1", "role": "la_officer", "iss": ISSUER, "aud": AUDIENCE,
            "iat": now, "exp": now + lifetime, **claims}  # fmt: skip
    return jwt.encode(body, private, algorithm=alg, headers={"kid": kid})


@pytest.fixture(scope="module")
def keys():
    return {"rsa": rsa_key(), "ec": ec_key(), "rogue": rsa_key()}


@pytest.fixture
def jwks_file(tmp_path, keys):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk_of(keys["rsa"], "r1", "RS256"),
                                         jwk_of(keys["ec"], "e1", "ES256")]}))  # fmt: skip
    return path


def verifier(source: str, **kw) -> TokenVerifier:
    return TokenVerifier(jwks=Jwks(source), issuer=ISSUER, audience=AUDIENCE, **kw)


def test_rs256_and_es256_tokens_of_the_idp_are_accepted(jwks_file, keys):
    check = verifier(str(jwks_file))
    assert check.verify(mint(keys["rsa"], "r1")).role == "la_officer"
    school = check.verify(mint(keys["ec"], "e1", "ES256", role="school", urn="123456"))
    assert (school.role, school.urn) == ("school", "123456")


def refused(check: TokenVerifier, token: str) -> None:
    with pytest.raises(ProblemError) as err:
        check.verify(token)
    assert err.value.status == 401


def test_what_the_idp_did_not_sign_or_did_not_mean_for_us_is_401(jwks_file, keys):
    check = verifier(f"file://{jwks_file}", max_lifetime_seconds=3600)
    refused(check, mint(keys["rogue"], "r1"))  # a key not in the JWKS, claiming its kid
    refused(check, mint(keys["rogue"], "unknown"))  # a kid the JWKS does not have
    refused(check, mint(keys["rsa"], "r1", iss="https://other.example/"))
    refused(check, mint(keys["rsa"], "r1", aud="another-service"))
    refused(check, mint(keys["rsa"], "r1", lifetime=7200))  # longer than the maximum lifetime
    refused(check, mint(keys["rsa"], "r1", lifetime=-60))  # expired
    refused(check, mint(keys["ec"], "r1", "ES256"))  # alg does not match the key named
    refused(check, mint(keys["rsa"], "r1", role=["la_officer"]))  # claim of the wrong type
    no_iat = jwt.encode(
        {"sub": "s", "role": "la_officer", "iss": ISSUER, "aud": AUDIENCE,
         "exp": int(time.time()) + 60},
        keys["rsa"], algorithm="RS256", headers={"kid": "r1"},
    )  # fmt: skip
    refused(check, no_iat)
    # an HS256 token signed with the public key's text is never accepted here (alg confusion)
    hs = jwt.encode({"sub": "s", "role": "la_officer"}, "x" * 40, algorithm="HS256")
    refused(check, hs)
    refused(check, jwt.encode({"sub": "s", "role": "la_officer"}, None, algorithm="none"))


def test_hs256_is_accepted_only_where_a_secret_is_configured(keys):
    secret = "s" * 40
    hs = jwt.encode({"sub": "s", "role": "la_officer", "exp": int(time.time()) + 60}, secret)
    assert TokenVerifier(secret=secret).verify(hs).role == "la_officer"
    refused(TokenVerifier(jwks=Jwks("/nonexistent.json")), hs)


class _Jwks(BaseHTTPRequestHandler):
    document: dict = {"keys": []}
    fetches = 0

    def do_GET(self):
        type(self).fetches += 1
        body = json.dumps(type(self).document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_a_key_rotation_reaches_the_service_by_kid(keys):
    server = HTTPServer(("127.0.0.1", 0), _Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _Jwks.document = {"keys": [jwk_of(keys["rsa"], "2026-01", "RS256")]}
        url = f"http://127.0.0.1:{server.server_port}/jwks.json"
        check = TokenVerifier(
            jwks=Jwks(url, min_refetch_seconds=0), issuer=ISSUER, audience=AUDIENCE
        )
        assert check.verify(mint(keys["rsa"], "2026-01")).sub == "officer-1"
        # the identity provider rotates: a new key under a new kid, the old one withdrawn
        _Jwks.document = {"keys": [jwk_of(keys["ec"], "2026-02", "ES256")]}
        assert check.verify(mint(keys["ec"], "2026-02", "ES256")).sub == "officer-1"
        refused(check, mint(keys["rsa"], "2026-01"))
        assert _Jwks.fetches >= 2
    finally:
        server.shutdown()
