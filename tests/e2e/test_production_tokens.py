"""A service in production mode: IdP tokens verified against a JWKS file, HS256 refused."""

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from tests.support.platform import JWT_SECRET, RUN, build, running, token


async def test_a_production_service_accepts_idp_tokens_only(infra, tmp_path):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}))
    app = build(
        "reporting", infra, JOURNEY_ENVIRONMENT="production", JOURNEY_JWT_SECRET=None,
        JOURNEY_JWKS_URL=str(jwks), JOURNEY_JWT_ISSUER="https://idp.example/",
        JOURNEY_JWT_AUDIENCE="ap-journey", database_name=f"ap_reporting_prod_{RUN}",
    )  # fmt: skip
    now = int(time.time())
    idp_token = jwt.encode(
        {"sub": "officer", "role": "la_officer", "iss": "https://idp.example/",
         "aud": "ap-journey", "iat": now, "exp": now + 300},
        private, algorithm="RS256", headers={"kid": "k1"},
    )  # fmt: skip
    async with running(app) as client:
        ok = await client.get("/v1/caseload", headers={"Authorization": f"Bearer {idp_token}"})
        assert ok.status_code == 200, ok.text
        local = await client.get("/v1/caseload", headers=token())  # HS256, the test secret
        assert local.status_code == 401
        # the dashboard takes no pasted token in production: people sign in at their IdP
        form = await client.get("/ui/sign-in")
        assert form.status_code == 200 and 'name="token"' not in form.text
        pasted = await client.post("/ui/sign-in", data={"token": idp_token, "csrf": "x"})
        assert pasted.status_code == 404 and "ap_session" not in pasted.headers.get(
            "set-cookie", ""
        )


def test_a_production_service_refuses_to_start_with_a_secret(infra):
    with pytest.raises(ValidationError):
        build("reporting", infra, JOURNEY_ENVIRONMENT="production", JOURNEY_JWT_SECRET=JWT_SECRET)
