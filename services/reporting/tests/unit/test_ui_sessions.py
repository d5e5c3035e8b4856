"""Server-side dashboard sessions: idle and absolute timeouts, and sign-ins in flight used once."""

import pytest
from ap_chassis.auth import Principal
from ap_reporting.ui.sessions import SessionStore

pytestmark = pytest.mark.unit
OFFICER = Principal(sub="oidc-1", role="la_officer")


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def _store(clock: Clock) -> SessionStore:
    return SessionStore(idle_seconds=60, absolute_seconds=300, pending_seconds=30, clock=clock)


def test_activity_keeps_a_session_until_its_absolute_limit():
    clock = Clock()
    store = _store(clock)
    sid = store.create(OFFICER, "oidc", id_token="t")
    for _ in range(5):
        clock.now += 59
        assert store.get(sid) is not None  # each request restarts the idle clock
    clock.now += 6  # 301 s since sign-in
    assert store.get(sid) is None and store.get(sid) is None


def test_an_idle_session_ends_and_a_signed_out_one_is_gone():
    clock = Clock()
    store = _store(clock)
    idle, out = store.create(OFFICER, "oidc"), store.create(OFFICER, "oidc")
    assert store.drop(out) is not None and store.get(out) is None
    clock.now += 61
    assert store.get(idle) is None
    assert store.get(None) is None and store.get("unknown") is None


def test_a_pasted_token_session_ends_with_the_token():
    clock = Clock()
    store = _store(clock)
    sid = store.create(OFFICER, "token", expires=clock.now + 10)
    clock.now += 11
    assert store.get(sid) is None


def test_a_sign_in_in_flight_is_taken_once_by_the_browser_that_began_it_in_time():
    clock = Clock()
    store = _store(clock)
    store.begin("s1", "n1", "v1", "browser-a")
    found = store.take("s1", "browser-a")
    assert found is not None and (found.nonce, found.code_verifier) == ("n1", "v1")
    assert store.take("s1", "browser-a") is None  # replayed
    store.begin("s2", "n2", "v2", "browser-a")
    assert store.take("s2", "browser-b") is None  # another browser
    assert store.take("s2", "browser-a") is None  # and the attempt voided it
    store.begin("s3", "n3", "v3", "browser-a")
    assert store.take("s3", None) is None
    store.begin("s4", "n4", "v4", "browser-a")
    clock.now += 31
    assert store.take("s4", "browser-a") is None  # too late
