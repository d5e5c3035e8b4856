"""Sign-in through a real OpenID provider; client-credentials tokens for case-management systems.

The provider is the npm `oidc-provider` package (tests/oidc_provider, installed by `make test`),
started on loopback by a fixture. The dashboard is a reporting app configured for it with the
repository's own claim mapping (deploy/claim-mapping.json), served by uvicorn; Debian's chromium
signs in through the provider's own login form. Every refusal the sign-in must make is tried.
"""

import asyncio
import base64
import contextlib
import json
import logging
import os
import re
import select
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
import uvicorn
from ap_reporting.ui import oidc
from joserfc.jwk import KeySet
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.e2e.test_dashboard_browser import ARGS, CHROMIUM, _axe
from tests.e2e.test_outcomes_rules import review_body
from tests.support.platform import RUN, build, referral_body, running

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_DIR = ROOT / "tests" / "oidc_provider"
MAPPING = str(ROOT / "deploy" / "claim-mapping.json")
AUDIENCE = "api://ap-journey"
PROVIDER = {"name": "Case-management Centre", "setting_type": "OOT", "registered": True}
ROLES = {  # login at the provider -> what the dashboard must say
    "officer": ("la_officer", None),
    "auditor": ("auditor", None),
    "analyst": ("analyst", None),
    "school": ("school", "school 123456"),
    "provider": ("provider", "provider 8f14e45f-ceea-467f-a0e6-a1b2c3d4e5f6"),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def app_base() -> str:
    return f"http://127.0.0.1:{_free_port()}"


@pytest.fixture(scope="module")
def issuer(app_base: str) -> Iterator[str]:
    """The OpenID provider on a free loopback port, until the module ends."""
    if not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("the test OpenID provider is not installed: make test runs npm ci for it")
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DASHBOARD_REDIRECT_URI": f"{app_base}/ui/auth/callback",
        "DASHBOARD_POST_LOGOUT_URI": f"{app_base}/ui/sign-in",
        "API_AUDIENCE": AUDIENCE,
    }
    proc = subprocess.Popen(
        ["node", "server.mjs"],  # noqa: S607 - the machine's node, on our own script
        cwd=PROVIDER_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready and proc.stdout else ""
        if not line:
            pytest.fail("the test OpenID provider did not start")
        yield str(json.loads(line)["issuer"])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)


def _api_settings(issuer: str) -> dict[str, Any]:
    """A service that takes the provider's tokens, their roles by the authority's table."""
    return {
        "JOURNEY_JWKS_URL": f"{issuer}/jwks",
        "JOURNEY_JWT_ISSUER": issuer,
        "JOURNEY_JWT_AUDIENCE": AUDIENCE,
        "JOURNEY_CLAIM_MAPPING": MAPPING,
    }


def _dashboard_settings(issuer: str, app_base: str) -> dict[str, Any]:
    return {
        **_api_settings(issuer),
        "JOURNEY_OIDC_ISSUER": issuer,
        "JOURNEY_OIDC_CLIENT_ID": "ap-dashboard",
        "JOURNEY_OIDC_CLIENT_SECRET": "ap-dashboard-secret",
        "JOURNEY_OIDC_SCOPES": "openid ap profile email",
        "JOURNEY_OIDC_REDIRECT_BASE": app_base,
    }


@pytest.fixture(scope="module")
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture(scope="module")
async def dashboard(infra, services, issuer, app_base, spans) -> AsyncIterator[Any]:
    """The reporting app, signed in to through the provider, on app_base.

    After `services`: the first app started in a process is the one asyncpg's tracing reports
    to (ap_chassis.telemetry), and the tracing test reads the session platform's spans."""
    app = build(
        "reporting", infra, span_exporter=spans, database_name=f"ap_reporting_oidc_{RUN}",
        service_name="reporting-signin",  # its own consumer groups: the session's stay whole
        **_dashboard_settings(issuer, app_base),
    )  # fmt: skip
    async with running(app):
        port = int(app_base.rsplit(":", 1)[1])
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
        )
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.05)
        yield app
        server.should_exit = True
        await task


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: make test installs it")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        await b.close()


async def _at_provider(browser: Any, app_base: str, login: str) -> tuple[Any, dict[str, Any]]:
    """A new browser at the dashboard's sign-in page, through the provider's login form.

    Returns the page (wherever the callback left it) and what the callback answered."""
    context = await browser.new_context(base_url=app_base)
    page = await context.new_page()
    seen: dict[str, Any] = {}

    def on_response(response: Any) -> None:
        if "/ui/auth/callback" in response.url:
            seen["status"], seen["url"] = response.status, response.url

    page.on("response", on_response)
    await page.goto("/ui/sign-in")
    if login == "officer":
        await _axe(page)  # the sign-in page as production shows it, with the IdP's button
    await page.click("#sign-in-oidc")
    await page.fill("input[name=login]", login)
    await page.fill("input[name=password]", "any")
    await page.click("button[type=submit]")
    await page.wait_for_url(re.compile(r"/ui/(auth/callback.*)?$"))
    return page, seen


async def _signed_in(browser: Any, app_base: str, login: str) -> Any:
    page, seen = await _at_provider(browser, app_base, login)
    await page.wait_for_url(re.compile(r"/ui/$"))
    assert seen["status"] == 200
    return page


def _sid(page_cookies: list[dict[str, Any]]) -> str:
    return next(c["value"] for c in page_cookies if c["name"] == "ap_session")


@pytest.mark.parametrize("login", sorted(ROLES))
async def test_each_role_signs_in_through_the_provider(browser, dashboard, app_base, login):
    role, scope = ROLES[login]
    page = await _signed_in(browser, app_base, login)
    account = await page.text_content(".app-signed-in")
    assert role.replace("_", " ") in account and "oidc-" in account
    if scope:
        assert scope in account
    assert "Person" not in account and "@people.example" not in account  # no name, no e-mail
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["ap_session"]["httpOnly"] and cookies["ap_session"]["sameSite"] == "Strict"
    assert "ap_signin" not in cookies  # the sign-in's binding cookie is spent
    await page.context.close()


async def test_an_account_with_no_mapped_role_is_refused_with_the_reason(
    browser, dashboard, app_base
):
    page, seen = await _at_provider(browser, app_base, "nobody")
    assert seen["status"] == 403
    assert "no role in AP Journey" in await page.text_content("#reason")
    await _axe(page)
    assert "ap_session" not in {c["name"] for c in await page.context.cookies()}
    await page.goto("/ui/")
    assert page.url.endswith("/ui/sign-in")  # not let in as any default role
    await page.context.close()


async def test_a_claim_of_the_wrong_type_is_refused(browser, dashboard, app_base):
    page, seen = await _at_provider(browser, app_base, "wrongtype")
    assert seen["status"] == 403
    assert "organisation.urn claim must be a six-digit URN" in await page.text_content("#reason")
    await page.context.close()


async def _callback_by_hand(app_base: str, login: str) -> tuple[str, str]:
    """A sign-in begun at the dashboard and finished at the provider's login form over HTTP,
    stopped before the redirect back: (the callback URL, this client's sign-in cookie)."""
    async with httpx.AsyncClient() as client:
        begun = await client.get(f"{app_base}/ui/auth/login")
        binding, url = begun.cookies["ap_signin"], begun.headers["location"]
        for _ in range(10):
            r = await client.get(url)
            if r.status_code == 200:  # the provider's login form
                action = re.search(r'action="([^"]+)"', r.text).group(1)  # type: ignore[union-attr]
                fields = {"prompt": "login", "login": login, "password": "any"}
                r = await client.post(urljoin(url, action), data=fields)
            url = urljoin(url, r.headers["location"])
            if url.startswith(app_base):
                return url, binding
    raise AssertionError("the provider never sent the browser back")


async def test_state_must_be_one_begun_in_this_browser_and_is_used_once(dashboard, app_base):
    url, binding = await _callback_by_hand(app_base, "officer")
    async with httpx.AsyncClient() as client:
        forged = re.sub(r"state=[^&]+", "state=forged", url)
        r = await client.get(forged, cookies={"ap_signin": binding})
        assert r.status_code == 400 and "does not match" in r.text
        other_browser = await client.get(url, cookies={"ap_signin": "another-browser"})
        assert other_browser.status_code == 400  # and that spent the state: the sign-in is void
        replayed = await client.get(url, cookies={"ap_signin": binding})
        assert replayed.status_code == 400
        assert "ap_session" not in replayed.headers.get("set-cookie", "")


async def test_a_replayed_callback_is_refused_after_a_good_one(dashboard, app_base):
    url, binding = await _callback_by_hand(app_base, "analyst")
    async with httpx.AsyncClient() as client:
        first = await client.get(url, cookies={"ap_signin": binding})
        assert first.status_code == 200 and "ap_session" in first.headers["set-cookie"]
        again = await client.get(url, cookies={"ap_signin": binding})
        assert again.status_code == 400 and "ap_session" not in again.headers.get("set-cookie", "")


async def test_a_forged_code_is_refused_by_the_provider(dashboard, app_base):
    url, binding = await _callback_by_hand(app_base, "officer")
    async with httpx.AsyncClient() as client:
        r = await client.get(
            re.sub(r"code=[^&]+", "code=forged", url), cookies={"ap_signin": binding}
        )
    assert r.status_code == 401 and "refused the code" in r.text


async def test_idle_and_absolute_timeouts_end_the_session(browser, dashboard, app_base):
    store = dashboard.state.ui_sessions
    for clock in ("last_seen", "created"):
        page = await _signed_in(browser, app_base, "officer")
        session = store.get(_sid(await page.context.cookies()))
        limit = store.idle if clock == "last_seen" else store.absolute
        setattr(session, clock, getattr(session, clock) - limit - 1)  # as if that long ago
        await page.goto("/ui/money")
        assert page.url.endswith("/ui/sign-in"), clock
        await page.context.close()


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))


async def test_id_tokens_are_checked_for_signature_iss_aud_nonce_and_exp(
    browser, dashboard, app_base, issuer
):
    """A real ID token of the provider, checked as the callback checks it, then altered."""
    page = await _signed_in(browser, app_base, "auditor")
    id_token = dashboard.state.ui_sessions.get(_sid(await page.context.cookies())).id_token
    await page.context.close()
    async with httpx.AsyncClient() as client:
        keys = KeySet.import_key_set((await client.get(f"{issuer}/jwks")).json())
    claims = _claims(id_token)
    good = {"issuer": issuer, "client_id": "ap-dashboard", "nonce": claims["nonce"]}
    assert oidc.verify_id_token(id_token, keys, **good)["sub"] == "auditor"

    head, body, sig = id_token.split(".")
    forged = dict(claims, organisation={"urn": "999999"})
    tampered_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    flipped = sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB")
    cases = {
        "body": (f"{head}.{tampered_body}.{sig}", good, "signature"),
        "signature": (f"{head}.{body}.{flipped}", good, "signature"),
        "aud": (id_token, {**good, "client_id": "other-app"}, "aud"),
        "iss": (id_token, {**good, "issuer": "http://127.0.0.1:1"}, "iss"),
        "nonce": (id_token, {**good, "nonce": "another"}, "nonce"),
    }
    for name, (token, expected, claim) in cases.items():
        with pytest.raises(oidc.SignInRefusedError, match=claim) as refused:
            oidc.verify_id_token(token, keys, **expected)
        assert refused.value.status == 401, name
    later = claims["exp"] + oidc.LEEWAY_SECONDS + 1
    with pytest.raises(oidc.SignInRefusedError, match="exp"):
        oidc.verify_id_token(id_token, keys, **good, now=later)


async def test_sign_out_ends_the_session_here_and_at_the_provider(browser, dashboard, app_base):
    page = await _signed_in(browser, app_base, "school")
    sid = _sid(await page.context.cookies())
    await page.click("form[action='/ui/sign-out'] button")
    await page.click("button[name=logout]")  # the provider's own "sign me out" page
    await page.wait_for_url(re.compile(r"/ui/sign-in$"))
    assert dashboard.state.ui_sessions.get(sid) is None
    await page.goto("/ui/")
    assert page.url.endswith("/ui/sign-in")
    await page.click("#sign-in-oidc")  # the provider asks again: its session ended too
    await page.wait_for_selector("input[name=login]")
    await page.context.close()


async def test_sign_in_and_out_are_logged_by_actor_id_without_name_or_email(
    browser, dashboard, app_base, caplog, spans
):
    caplog.set_level(logging.INFO, logger="ap_reporting.ui.sign_in")
    page = await _signed_in(browser, app_base, "officer")
    await page.click("form[action='/ui/sign-out'] button")
    await page.click("button[name=logout]")
    await page.wait_for_url(re.compile(r"/ui/sign-in$"))
    await page.context.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "ap_reporting.ui.sign_in"]
    actor = oidc.actor_id(dashboard.state.settings.oidc_issuer, "officer")
    assert f"sign-in actor={actor} role=la_officer method=oidc" in lines
    assert f"sign-out actor={actor} role=la_officer" in lines
    everything = " ".join(r.getMessage() for r in caplog.records)
    everything += " ".join(str(dict(s.attributes or {})) for s in spans.get_finished_spans())
    assert "Person officer" not in everything and "officer@people.example" not in everything


async def test_an_unreachable_provider_gives_a_clear_503(infra, services, app_base):
    closed = f"http://127.0.0.1:{_free_port()}"
    app = build(
        "reporting", infra, database_name=f"ap_reporting_oidc_down_{RUN}",
        service_name="reporting-signin-down",
        **_dashboard_settings(closed, app_base),
    )  # fmt: skip
    async with running(app) as client:
        r = await client.get("/ui/auth/login")
        assert r.status_code == 503 and "cannot be reached" in r.text
        page = await client.get("/ui/sign-in")
        assert page.status_code == 200 and 'id="sign-in-oidc"' in page.text


async def _client_token(issuer: str, client_id: str) -> str:
    async with httpx.AsyncClient() as client:
        r = await client.post(
            f"{issuer}/token",
            data={"grant_type": "client_credentials", "scope": "journey"},
            auth=(client_id, f"{client_id}-secret"),
        )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


async def test_case_management_systems_write_with_client_credentials_tokens(
    infra, services, issuer
):
    """Each write service takes the provider's client-credentials tokens, role by the table."""
    la = {"Authorization": f"Bearer {await _client_token(issuer, 'cms-la')}"}
    school = {"Authorization": f"Bearer {await _client_token(issuer, 'cms-school')}"}
    provider = {"Authorization": f"Bearer {await _client_token(issuer, 'cms-provider')}"}
    nobody = {"Authorization": f"Bearer {await _client_token(issuer, 'cms-nobody')}"}
    assert time.time() < _claims(la["Authorization"][7:])["exp"]
    apps = {
        name: build(
            name,
            infra,
            service_name=f"{name}-m2m",
            database_name=f"ap_{name}_m2m_{RUN}",
            **_api_settings(issuer),
        )
        for name in ("referral", "placement", "outcomes")
    }
    async with contextlib.AsyncExitStack() as stack:
        c = {n: await stack.enter_async_context(running(a)) for n, a in apps.items()}

        referral = await c["referral"].post(
            "/v1/referrals", json=referral_body(), headers={**la, "Idempotency-Key": f"m2m-{RUN}"}
        )
        assert referral.status_code == 201, referral.text
        own = referral_body(home_school_urn="123456", referrer={"kind": "school", "urn": "123456"})
        by_school = await c["referral"].post("/v1/referrals", json=own, headers=school)
        assert by_school.status_code == 201, by_school.text

        created = await c["placement"].post(
            "/v1/providers",
            json={**PROVIDER, "name": "M2M Centre"},
            headers=la,
        )
        assert created.status_code == 201, created.text

        # a placement outcomes has not heard of: the domain's own answer (409, retry), so the
        # provider's token passed authentication and the role check
        review = review_body(str(uuid.uuid4()))
        answer = await c["outcomes"].post("/v1/reviews", json=review, headers=provider)
        assert answer.status_code == 409 and answer.headers["retry-after"] == "1", answer.text

        for name, path, body in (
            ("referral", "/v1/referrals", referral_body()),
            (
                "placement",
                "/v1/providers",
                PROVIDER,
            ),
            ("outcomes", "/v1/reviews", review),
        ):
            refused = await c[name].post(path, json=body, headers=nobody)
            assert refused.status_code == 403, (name, refused.text)
            assert "map to no role" in refused.text
            forged = la["Authorization"][:-4] + "AAAA"
            r = await c[name].post(path, json=body, headers={"Authorization": forged})
            assert r.status_code == 401, name


async def test_a_token_endpoint_that_cannot_be_reached_gives_a_503(dashboard, app_base):
    """The provider goes away between the login form and the redirect back (its token
    endpoint, as discovered, now a closed port): a clear page and a 503, no session."""
    url, binding = await _callback_by_hand(app_base, "officer")
    metadata = dashboard.state.oidc_client._found.metadata
    endpoint = metadata["token_endpoint"]
    metadata["token_endpoint"] = f"http://127.0.0.1:{_free_port()}/token"
    try:
        async with httpx.AsyncClient() as client:
            r = await client.get(url, cookies={"ap_signin": binding})
    finally:
        metadata["token_endpoint"] = endpoint
    assert r.status_code == 503 and "cannot be reached" in r.text
    assert "ap_session" not in r.headers.get("set-cookie", "")
