"""Settings refuse default secrets in production; tokens are checked strictly. Pure."""

import time

import jwt
import pytest
from ap_chassis.auth import decode_token, issue_token
from ap_chassis.problems import ProblemError
from ap_chassis.settings import LOCAL_JWT_SECRET, ServiceSettings
from pydantic import ValidationError

SECRET = "s" * 40


JWKS_SETTINGS = {
    "JOURNEY_JWKS_URL": "https://idp.example/jwks.json",
    "JOURNEY_JWT_ISSUER": "https://idp.example/",
    "JOURNEY_JWT_AUDIENCE": "ap-journey",
}


def test_production_refuses_the_default_secret(monkeypatch):
    monkeypatch.delenv("JOURNEY_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="JOURNEY_JWT_SECRET"):
        ServiceSettings(
            JOURNEY_ENVIRONMENT="production", JOURNEY_JWT_SECRET=LOCAL_JWT_SECRET, **JWKS_SETTINGS
        )


def test_production_refuses_a_short_secret():
    with pytest.raises(ValidationError):
        ServiceSettings(JOURNEY_ENVIRONMENT="production", JOURNEY_JWT_SECRET="short")


def test_production_holds_no_secret_that_can_mint_tokens_and_needs_the_idp():
    """No production service holds a key that can mint tokens: any secret is refused there."""
    with pytest.raises(ValidationError, match="local runs and tests only"):
        ServiceSettings(
            JOURNEY_ENVIRONMENT="production", JOURNEY_JWT_SECRET=SECRET, **JWKS_SETTINGS
        )
    with pytest.raises(ValidationError, match="JOURNEY_JWT_AUDIENCE"):
        ServiceSettings(JOURNEY_ENVIRONMENT="production", JOURNEY_JWKS_URL="file:///k.json")
    production = ServiceSettings(JOURNEY_ENVIRONMENT="production", **JWKS_SETTINGS)
    assert production.jwt_secret is None
    assert ServiceSettings(JOURNEY_ENVIRONMENT="local").jwt_secret == LOCAL_JWT_SECRET


def test_the_default_environment_is_production(monkeypatch):
    monkeypatch.delenv("JOURNEY_ENVIRONMENT", raising=False)
    monkeypatch.delenv("JOURNEY_JWT_SECRET", raising=False)
    with pytest.raises(ValidationError, match="must be set in production"):
        ServiceSettings()
    assert ServiceSettings(**JWKS_SETTINGS).environment == "production"


def test_each_service_gets_its_own_database_name():
    settings = {"JOURNEY_ENVIRONMENT": "test"}
    assert ServiceSettings(service_name="referral", **settings).db_name == "referral"
    assert ServiceSettings(service_name="referral", database_name="x_1", **settings).db_name == (
        "x_1"
    )


def test_a_valid_token_gives_the_principal():
    principal = decode_token(issue_token(SECRET, sub="u1", role="school", urn="123456"), SECRET)
    assert (principal.sub, principal.role, principal.urn) == ("u1", "school", "123456")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u", "role": "la_officer", "exp": int(time.time()) - 10},  # expired
        {"sub": "u", "role": "janitor", "exp": int(time.time()) + 60},  # unknown role
        {"sub": "u", "role": "school", "exp": int(time.time()) + 60},  # school without urn
        {"sub": "u", "role": "provider", "exp": int(time.time()) + 60},  # provider without id
        {"role": "la_officer", "exp": int(time.time()) + 60},  # no subject
    ],
)
def test_bad_tokens_are_401(claims):
    with pytest.raises(ProblemError) as err:
        decode_token(jwt.encode(claims, SECRET, algorithm="HS256"), SECRET)
    assert err.value.status == 401


def test_a_token_signed_with_another_key_is_401():
    with pytest.raises(ProblemError):
        decode_token(issue_token("other" * 10, sub="u", role="la_officer"), SECRET)
