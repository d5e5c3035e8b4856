"""The dashboard in a real browser: headless Chromium (Debian's package) through Playwright.

The reporting app of the `services` fixture is served over real HTTP by uvicorn in the test's
own event loop. Each role signs in with a token; every page opens, its figures equal the API's
for the same filters, exports download and parse, scoping holds by URL, and axe finds nothing.
Screenshots of every page go to test-output/dashboard/ for a reviewer.
"""

import asyncio
import csv
import io
import re
import socket
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import uvicorn
from ap_chassis.auth import issue_token

from tests.e2e.support.journeys import accepted_referral, placement_body, retrying
from tests.support.platform import JWT_SECRET, random_urn, token

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "dashboard"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LA = token()
TODAY = date.today()
START, END = TODAY - timedelta(days=150), TODAY
PERIOD = {"from": START.isoformat(), "to": END.isoformat()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
async def base_url(services) -> AsyncIterator[str]:
    """The reporting app (already started by `services`) on a real port, in this loop."""
    port = _free_port()
    config = uvicorn.Config(
        services.apps["reporting"], host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    if not _installed(CHROMIUM):
        pytest.fail(
            "Debian's chromium is missing: make test installs it (deploy/local/system-packages.sh)"
        )
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        b = await pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        await b.close()


def _installed(path: Path) -> bool:
    return path.exists()


def _read(path: Any) -> bytes:
    return Path(path).read_bytes()


def _ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


async def _provider(services, name: str, registered: bool) -> str:
    r = await services.placement.post(
        "/v1/providers",
        json={"name": name, "setting_type": "OOT", "registered": registered},
        headers=LA,
    )
    assert r.status_code == 201, r.text
    return str(r.json()["provider_id"])


async def _place(services, referral: dict, provider: str, **overrides: Any) -> str:
    body = placement_body(referral["referral_id"], provider, **overrides)
    r = await retrying(lambda: services.placement.post("/v1/placements", json=body, headers=LA))
    assert r.status_code == 201, r.text
    return str(r.json()["placement_id"])


@pytest.fixture(scope="module")
async def city(services, wait) -> dict[str, Any]:
    """A small city: two schools, a registered and an unregistered provider, four pupils whose
    clocks run out in different ways."""
    school_a, school_b = random_urn(), random_urn()
    registered = await _provider(services, "Brookside Learning Centre", True)
    unregistered = await _provider(services, "Riverside Tuition", False)

    # 1: school A's pupil, commissioned by school A, part-time and never reviewed
    r1 = await accepted_referral(
        services,
        decided_on=_ago(100),
        home_school_urn=school_a,
        referred_on=_ago(101),
        forename="Robin",
    )
    p1 = await _place(
        services,
        r1,
        registered,
        start_date=_ago(90),
        planned_end_date=None,
        commissioner={"kind": "school", "urn": school_a},
        sessions_per_week=6,
        tier=1,
    )
    # 2: school B's pupil, placed by the LA in unregistered provision full time, reviewed
    r2 = await accepted_referral(
        services, decided_on=_ago(80), home_school_urn=school_b, referred_on=_ago(81)
    )
    p2 = await _place(
        services,
        r2,
        unregistered,
        start_date=_ago(75),
        planned_end_date=None,
        sessions_per_week=10,
        tier=3,
        dual_registered=False,
    )
    review = await retrying(
        lambda: services.outcomes.post(
            "/v1/reviews",
            json={
                "placement_id": p2,
                "reviewed_on": _ago(20),
                "progress": "expected",
                "attendance": {"possible_sessions": 40, "attended_sessions": 30},
                "outcome": "continue",
            },
            headers=LA,
        )
    )
    assert review.status_code == 201, review.text
    # 3: permanently excluded 60 days ago, school A, no placement: past the sixth school day
    r3 = await services.referral.post(
        "/v1/referrals",
        headers=LA,
        json={
            **_referral(school_a),
            "reason": "permanent_exclusion",
            "excluded_on": _ago(60),
            "referred_on": _ago(59),
        },
    )
    assert r3.status_code == 201, r3.text
    # 4: school B's pupil, placement ended, reintegrated 100 days ago, never checked
    r4 = await accepted_referral(
        services, decided_on=_ago(140), home_school_urn=school_b, referred_on=_ago(141)
    )
    p4 = await _place(
        services,
        r4,
        registered,
        start_date=_ago(130),
        planned_end_date=None,
        sessions_per_week=10,
        tier=2,
    )
    ended = await services.placement.post(
        f"/v1/placements/{p4}/end",
        headers=LA,
        json={"end_date": _ago(105), "reason": "reintegrated"},
    )
    assert ended.status_code == 200, ended.text
    back = await retrying(
        lambda: services.outcomes.post(
            "/v1/reintegrations",
            headers=LA,
            json={
                "pupil_id": r4["pupil_id"],
                "placement_id": p4,
                "school_urn": school_b,
                "reintegrated_on": _ago(100),
                "mode": "full_time",
            },
        )
    )
    assert back.status_code == 201, back.text

    pupils = [r1["pupil_id"], r2["pupil_id"], r3.json()["pupil_id"], r4["pupil_id"]]

    async def arrived() -> bool:
        counts = []
        for p in pupils:
            r = await services.reporting.get(f"/v1/pupils/{p}/timeline", headers=LA)
            counts.append(len(r.json()["events"]) if r.status_code == 200 else 0)
        return counts == [3, 4, 1, 5]

    await wait(arrived, timeout=60)
    return {
        "school_a": school_a,
        "school_b": school_b,
        "registered": registered,
        "unregistered": unregistered,
        "pupils": pupils,
        "placements": [p1, p2, p4],
    }


def _referral(school: str) -> dict[str, Any]:
    from tests.support.platform import referral_body

    return referral_body(home_school_urn=school)


async def _sign_in(browser: Any, base_url: str, role: str, **scope: str) -> Any:
    context = await browser.new_context(accept_downloads=True, base_url=base_url)
    page = await context.new_page()
    errors: list[str] = []  # console errors: a CSP refusal or a missing asset shows here
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    await page.goto("/ui/sign-in")
    jwt = issue_token(JWT_SECRET, sub=f"{role}-browser", role=role, **scope)  # type: ignore[arg-type]
    await page.fill("#token", jwt)
    await page.click("button[type=submit]:has-text('Sign in')")
    await page.wait_for_url(re.compile(r"/ui/$"))
    return page


async def _axe(page: Any) -> None:
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


async def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


async def _table(page: Any, table_id: str) -> list[list[str]]:
    return await page.eval_on_selector_all(
        f'table[data-table="{table_id}"] tbody tr',
        "rows => rows.map(r => Array.from(r.children).map(c => c.textContent.trim()))",
    )


def _pence(text: str) -> int:
    return round(float(text.replace("£", "").replace(",", "")) * 100)


def _cost(text: str) -> int | str:
    return text if text == "[c]" else _pence(text)


async def _figure(page: Any, figure: str) -> str:
    return str(await page.text_content(f'[data-figure="{figure}"]')).strip()


async def test_cookie_is_httponly_strict_and_forms_carry_csrf(browser, base_url, services):
    page = await _sign_in(browser, base_url, "la_officer")
    cookies = {c["name"]: c for c in await page.context.cookies()}
    assert cookies["ap_session"]["httpOnly"] is True
    assert cookies["ap_session"]["sameSite"] == "Strict"
    assert (
        await page.eval_on_selector(
            "form[action='/ui/sign-out'] input[name=csrf]", "e => e.value.length"
        )
        == 64
    )
    await page.context.close()
    # a sign-in post without the form's CSRF value is refused; a bad token too; no session
    client = services.reporting
    r = await client.post("/ui/sign-in", data={"token": "x", "csrf": "forged"})
    assert r.status_code == 403 and "ap_session" not in r.headers.get("set-cookie", "")
    form = await client.get("/ui/sign-in")
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    assert form.headers["cache-control"] == "no-store"
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text).group(1)  # type: ignore[union-attr]
    r = await client.post(
        "/ui/sign-in", data={"token": "not-a-jwt", "csrf": csrf}, cookies=dict(form.cookies)
    )
    assert r.status_code == 401 and "ap_session" not in r.headers.get("set-cookie", "")
    assert (await client.get("/ui/money")).headers["location"] == "/ui/sign-in"


async def test_la_officer_sees_every_page_equal_to_the_api(browser, base_url, services, city, wait):
    page = await _sign_in(browser, base_url, "la_officer")
    query = f"from={PERIOD['from']}&to={PERIOD['to']}"
    await page.goto(f"/ui/?{query}")
    await _axe(page)
    await _shot(page, "overview-la_officer")

    async def overview_matches() -> bool:
        await page.reload()
        api = await services.reporting.get(
            "/v1/costs",
            headers=LA,
            params={"from": TODAY.isoformat(), "to": TODAY.isoformat(), "by": "tier"},
        )
        on_page = {r[1]: int(r[2]) for r in await _table(page, "by-tier")}
        return on_page == {r["key"]: r["pupils"] for r in api.json()["rows"]} and on_page

    await wait(overview_matches, timeout=20)
    assert int(await _figure(page, "unregistered")) >= 1
    assert int(await _figure(page, "part-time")) >= 1
    assert int(await _figure(page, "dual")) >= 1
    assert await page.locator("svg#chart-weekly rect").count() >= 20
    # printed as a Schools Forum paper: no navigation, filters or download links
    await page.emulate_media(media="print")
    assert not await page.is_visible(".govuk-service-navigation")
    assert not await page.is_visible("form.app-filters")
    assert await page.is_visible("table[data-table='by-tier']")
    await _shot(page, "overview-print")
    await page.emulate_media(media="screen")

    await page.goto(f"/ui/money?{query}")
    await _axe(page)
    await _shot(page, "money-la_officer")
    for by in ("commissioner", "provider", "tier"):

        async def money_matches(by: str = by) -> bool:
            await page.reload()
            api = await services.reporting.get("/v1/costs", headers=LA, params={**PERIOD, "by": by})
            rows = [
                (r[1], int(r[2]), int(r[3]), _pence(r[4]))
                for r in await _table(page, f"cost-by-{by}")
            ]
            expected = [
                (r["key"], r["placements"], r["pupils"], r["cost_pence"])
                for r in api.json()["rows"]
            ]
            return rows == expected and bool(rows)

        await wait(money_matches, timeout=20)
    # a filter narrows the page to the API's row for the same group
    await page.goto(f"/ui/money?{query}&tier=3")
    api = await services.reporting.get("/v1/costs", headers=LA, params={**PERIOD, "by": "tier"})
    (tier3,) = [r for r in api.json()["rows"] if r["key"] == "3"]
    (row,) = await _table(page, "cost-by-tier")
    assert (row[1], int(row[2]), _pence(row[4])) == ("3", tier3["placements"], tier3["cost_pence"])
    assert _pence(await _figure(page, "total-cost")) == tier3["cost_pence"]
    await page.goto(f"/ui/money?{query}")
    spend = await _table(page, "school-spend")
    assert [r for r in spend if r[1] == f"school:{city['school_a']}"]

    await page.goto(f"/ui/outcomes?{query}")
    await _axe(page)
    await _shot(page, "outcomes-la_officer")
    api = (await services.reporting.get("/v1/outcomes", headers=LA, params=PERIOD)).json()
    (overall,) = await _table(page, "outcomes-overall")
    assert [int(overall[2]), int(overall[3]), int(overall[5]), int(overall[6])] == [
        api["attendance"]["possible_sessions"],
        api["attendance"]["attended_sessions"],
        api["reintegration"]["count"],
        api["reintegration"]["sustained"],
    ]
    by_provider = {r[1]: r for r in await _table(page, "outcomes-by-provider")}
    assert by_provider[city["unregistered"]][2:4] == ["40", "30"]

    # the provider's own page, linked from the table, agrees with the per-provider API
    link = page.locator(f'#table-outcomes-by-provider a:has-text("{city["unregistered"]}")')
    assert await link.get_attribute("href") == f"/ui/providers/{city['unregistered']}"
    await page.goto(f"/ui/providers/{city['unregistered']}?{query}")
    await _axe(page)
    await _shot(page, "provider-la_officer")
    api = (
        await services.reporting.get(
            f"/v1/providers/{city['unregistered']}/outcomes", headers=LA, params=PERIOD
        )
    ).json()
    measures = {(r[0], r[1]): r[2] for r in await _table(page, "provider-outcomes")}
    assert measures[("attendance", "possible_sessions")] == str(
        api["attendance"]["possible_sessions"]
    )
    assert await page.locator('table[data-table="provider-capacity"]').count() == 1

    await page.goto("/ui/actions")
    await _axe(page)
    await _shot(page, "actions-la_officer")
    clocks = await _table(page, "clocks")
    p1, p2, p3, p4 = city["pupils"]
    mine = {(r[1], r[0].split(" ")[0]) for r in clocks if r[1] in city["pupils"]}
    assert mine >= {
        (p1, "Part-time"),
        (p1, "No"),
        (p2, "Placed"),
        (p3, "Past"),
        (p4, "Reintegration"),
    }
    assert (p2, "No") not in mine  # reviewed 20 days ago
    assert [r[4] for r in clocks if r[1] == p2] == ["Riverside Tuition"]

    # the pupil's journey: names for the LA, and the view recorded
    await page.click(f'a[href="/ui/pupils/{p1}"] >> nth=0')
    await page.wait_for_url(re.compile(f"/ui/pupils/{p1}"))
    assert "Robin" in str(await page.text_content("[data-identity]"))
    timeline = await _table(page, "timeline")
    assert [r[1] for r in timeline if not r[1].startswith("Clock")] == [
        "Referred",
        "Referral decided",
        "Placed",
    ]
    assert any(r[1].startswith("Clock: Part-time") for r in timeline)
    await _axe(page)
    await _shot(page, "pupil-la_officer")
    pool = services.apps["reporting"].state.runtime.pool
    reads = await pool.fetchval(
        "SELECT count(*) FROM identity_reads WHERE pupil_id = $1 AND reader = 'la_officer-browser'"
        " AND purpose = 'dashboard pupil page'",
        uuid.UUID(p1),
    )
    assert reads == 1
    assert page.console_errors == []
    assert await page.evaluate("document.body.classList.contains('govuk-frontend-supported')")
    await page.context.close()


async def test_exports_download_and_parse(browser, base_url, services, city):
    page = await _sign_in(browser, base_url, "analyst")
    await page.goto(f"/ui/money?from={PERIOD['from']}&to={PERIOD['to']}")
    async with page.expect_download() as info:
        await page.click("#table-cost-by-provider a:has-text('CSV')")
    download = await info.value
    rows = list(csv.reader(io.StringIO(_read(await download.path()).decode())))
    assert rows[0] == ["Group", "Key", "Placements", "Pupils", "Cost (£)"]
    on_page = await _table(page, "cost-by-provider")
    assert [(r[1], _cost(r[4])) for r in rows[1:]] == [(r[1], _cost(r[4])) for r in on_page]
    # an analyst: rows of under 5 pupils withheld alike on the page and in the download, and why
    small = [r[1] for r in on_page if r[3] == "[c]"]
    assert small and small == [r[1] for r in rows[1:] if r[3] == "[c]"]
    assert await page.locator(".govuk-inset-text", has_text="suppressed").count() == 1
    async with page.expect_download() as info:
        await page.click("a:has-text('Download every table on this page')")
    xlsx = await info.value
    assert xlsx.suggested_filename == "money.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(_read(await xlsx.path())))
    assert book.sheetnames == [
        "cost-by-commissioner",
        "cost-by-provider",
        "cost-by-tier",
        "school-spend",
        "monthly-spend",
    ]
    assert book["cost-by-provider"].max_row == len(on_page) + 1
    await page.context.close()


async def test_each_role_sees_its_own_and_no_more(browser, base_url, city):
    p1, p2, p3, p4 = city["pupils"]
    # a school: its own pupils and spend; another school's pupil is not there by URL
    school = await _sign_in(browser, base_url, "school", urn=city["school_a"])
    await _axe(school)
    await _shot(school, "overview-school")
    commissioners = {r[1] for r in await _table(school, "by-commissioner")}
    assert commissioners == {f"school:{city['school_a']}"}
    await school.goto(f"/ui/money?from={PERIOD['from']}&to={PERIOD['to']}")
    assert {r[1] for r in await _table(school, "cost-by-commissioner")} == {
        f"school:{city['school_a']}"
    }
    await _shot(school, "money-school")
    await school.goto("/ui/actions")
    assert {r[1] for r in await _table(school, "clocks")} == {p1, p3}
    await school.goto(f"/ui/pupils/{p1}")
    assert await school.locator("[data-identity]").count() == 0  # no names for a school
    await _shot(school, "pupil-school")
    answer = await school.goto(f"/ui/pupils/{p2}")
    assert answer is not None and answer.status == 404
    assert "Robin" not in await school.content()
    await _axe(school)
    await _shot(school, "pupil-of-another-school")
    answer = await school.goto("/ui/outcomes")
    assert answer is not None and answer.status == 403
    await school.context.close()

    # a provider: only its placements
    provider = await _sign_in(browser, base_url, "provider", provider_id=city["unregistered"])
    assert {r[1] for r in await _table(provider, "by-provider")} == {city["unregistered"]}
    await provider.goto("/ui/actions")
    assert {r[1] for r in await _table(provider, "clocks")} == {p2}
    assert (await provider.goto(f"/ui/pupils/{p1}")).status == 404
    assert (await provider.goto(f"/ui/providers/{city['unregistered']}")).status == 200
    assert (await provider.goto(f"/ui/providers/{city['registered']}")).status == 404
    await _shot(provider, "actions-provider")
    await provider.context.close()

    # an analyst: aggregates only, no pupil pages, no action list
    analyst = await _sign_in(browser, base_url, "analyst")
    await _shot(analyst, "overview-analyst")
    assert (await analyst.goto(f"/ui/pupils/{p1}")).status == 403
    assert (await analyst.goto("/ui/actions")).status == 403
    await analyst.context.close()

    # an auditor: timelines without names, and the action list
    auditor = await _sign_in(browser, base_url, "auditor")
    await auditor.goto(f"/ui/pupils/{p4}")
    assert await auditor.locator("[data-identity]").count() == 0
    assert any(r[1].startswith("Clock: Reintegration") for r in await _table(auditor, "timeline"))
    await _shot(auditor, "pupil-auditor")
    assert (await auditor.goto("/ui/money")).status == 403
    await auditor.context.close()


async def test_sign_in_page_is_accessible(browser, base_url):
    context = await browser.new_context(base_url=base_url)
    page = await context.new_page()
    await page.goto("/ui/sign-in")
    await _axe(page)
    await page.fill("#token", "not-a-token")
    await page.click("button[type=submit]")
    assert await page.locator(".govuk-error-summary").count() == 1
    await _axe(page)
    await _shot(page, "sign-in-error")
    await context.close()
