"""Verified tokens are remembered briefly: the same bearer token is not verified on every request,
and a remembered token stops answering when it expires."""

import time

import pytest
from ap_chassis import auth
from ap_chassis.auth import TokenVerifier, issue_token
from ap_chassis.problems import ProblemError

SECRET = "cache-test-secret-" + "x" * 32


def test_a_verified_token_is_answered_from_the_cache():
    verifier = TokenVerifier(secret=SECRET)
    token = issue_token(SECRET, sub="officer-1", role="la_officer")
    assert verifier.cached(token) is None
    assert verifier.verify_cached(token).sub == "officer-1"
    assert verifier.cached(token) == verifier.verify(token)


def test_a_cached_token_stops_answering_when_it_expires(monkeypatch):
    verifier = TokenVerifier(secret=SECRET)
    token = issue_token(SECRET, sub="officer-1", role="la_officer", ttl_seconds=120)
    verifier.verify_cached(token)
    later = time.time() + 121
    monkeypatch.setattr(auth.time, "time", lambda: later)
    assert verifier.cached(token) is None  # verified again (PyJWT then checks exp itself)


def test_a_forged_token_is_never_cached():
    verifier = TokenVerifier(secret=SECRET)
    forged = issue_token("another-secret-" + "y" * 32, sub="x", role="la_officer")
    with pytest.raises(ProblemError):
        verifier.verify_cached(forged)
    assert verifier.cached(forged) is None
