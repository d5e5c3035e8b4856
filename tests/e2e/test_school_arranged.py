"""School-arranged AP reaches the citywide figures by itself: a school's census AP file of 200
rows (10 invalid) is 190 placements in costs by commissioner, the school census AP module and the
dashboard's money page after one import; importing it again adds nothing; a corrected row adds
one. Also the HTTP routes of the school-arranged route, each refusal with its status."""

import asyncio
import csv
import io
from typing import Any

import httpx
import pytest

from tests.e2e.support.dashboard import signed_in
from tests.e2e.support.journeys import new_provider
from tests.support.platform import eventually, random_upn, random_urn, token

LA = token()
PERIOD = {"from": "2026-09-01", "to": "2026-12-31"}
HEADERS = ("UPN", "Forename", "Surname", "Date of Birth", "Sex", "APSettingType", "EntryDate",
           "PlacementReason", "APAttendancePattern", "APSessionsPerWeek", "SENProvisionEntry",
           "NoticeGivenOn")  # fmt: skip


@pytest.fixture
def platform(services):
    """The placement service reaches the referral service in-process (its configured URL)."""
    services.apps["placement"].state.referral_transport = httpx.ASGITransport(
        app=services.apps["referral"]
    )
    return services


def census_file(upns: list[str]) -> bytes:
    lines = [",".join(HEADERS)]
    for i, upn in enumerate(upns):
        entry = f"{14 + i % 3:02d}/09/2026"
        lines.append(",".join((upn, "Pat", "Ex", "04/03/2012", "F", "OOT", entry, "SUS", "PT",
                               str(1 + i % 5), "K", "10/09/2026")))  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


async def imported(services, content: bytes, headers: dict[str, str]) -> dict[str, Any]:
    answer = await services.placement.post(
        "/v1/imports", files={"file": ("census.csv", content)},
        data={"layout": "school_census_ap"}, headers=headers,
    )  # fmt: skip
    assert answer.status_code == 202, answer.text
    path = f"/v1/imports/{answer.json()['import_id']}"

    async def finished() -> dict[str, Any] | None:
        state = (await services.placement.get(path, headers=headers)).json()
        return state if state["status"] in ("done", "failed") else None

    state: dict[str, Any] = await eventually(finished, timeout=150, interval=0.25)
    assert state["status"] == "done", state
    return state


async def cost_row(services, school: str) -> dict[str, Any] | None:
    answer = await services.reporting.get(
        "/v1/costs", params={**PERIOD, "by": "commissioner"}, headers=LA
    )
    return next((r for r in answer.json()["rows"] if r["key"] == f"school:{school}"), None)


async def census_module(services, school: str) -> list[dict[str, Any]]:
    answer = await services.reporting.get(
        "/v1/returns/school-census-ap", params={"urn": school, "term": "autumn", "year": 2026},
        headers=token("school", urn=school),
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    placements: list[dict[str, Any]] = answer.json()["placements"]
    return placements


async def money_page_row(services, school: str) -> list[str] | None:
    """The money page's cost-by-commissioner table, as an LA officer downloads it."""
    page = await services.reporting.get(
        "/ui/money", params={**PERIOD, "format": "csv", "table": "cost-by-commissioner"},
        cookies=await signed_in(services.reporting, LA["Authorization"]),
    )  # fmt: skip
    assert page.status_code == 200, page.text
    rows = list(csv.reader(io.StringIO(page.text)))
    return next((r for r in rows if f"school:{school}" in r), None)


async def test_a_schools_census_file_is_placed_citywide_in_one_import(platform):
    school = random_urn()
    as_school = token("school", urn=school)
    upns = [random_upn() for _ in range(200)]
    bad = {i: ("A" if u[0] != "A" else "B") + u[1:] for i, u in enumerate(upns) if i % 20 == 7}
    assert len(bad) == 10
    content = census_file([bad.get(i, u) for i, u in enumerate(upns)])

    first = await imported(platform, content, as_school)
    assert (first["rows"], first["applied"], first["refused"], first["awaiting"]) == (
        200, 190, 10, 0), {k: first[k] for k in ("applied", "refused", "awaiting")}  # fmt: skip
    refused = sorted({r["row"] for r in first["report"] if r["field"] == "upn"})
    assert refused == sorted(i + 2 for i in bad), "row 1 is the header"

    row = await eventually(
        lambda: _with(cost_row(platform, school), lambda r: r["placements"] == 190), timeout=60
    )
    assert row["pupils"] == 190 and row["placements_cost_unknown"] == 190
    assert len(await eventually(
        lambda: _with(census_module(platform, school), lambda p: len(p) == 190), timeout=30
    )) == 190  # fmt: skip
    money = await money_page_row(platform, school)
    assert money is not None and "190" in money, money

    again = await imported(platform, content, as_school)
    assert (again["applied"], again["unchanged"], again["refused"]) == (0, 190, 10), again
    await asyncio.sleep(1)  # anything the re-import recorded would have reached reporting now
    assert (await cost_row(platform, school))["placements"] == 190  # type: ignore[index]

    corrected = census_file([u if i != 7 else upns[7] for i, u in
                             enumerate(bad.get(i, u) for i, u in enumerate(upns))])  # fmt: skip
    third = await imported(platform, corrected, as_school)
    assert (third["applied"], third["unchanged"], third["refused"]) == (1, 190, 9), third
    await eventually(
        lambda: _with(cost_row(platform, school), lambda r: r["placements"] == 191), timeout=30
    )


async def _with(probe: Any, ok: Any) -> Any:
    value = await probe
    return value if value is not None and ok(value) else None


# the HTTP route ----------------------------------------------------------------------------


def arranged_referral(school: str, **overrides: Any) -> dict[str, Any]:
    return {
        "upn": random_upn(), "forename": "Sam", "surname": "Ex", "date_of_birth": "2012-03-04",
        "sex": "U", "sen_provision": "K", "referrer": {"kind": "school", "urn": school},
        "reason": "suspension", "tier_requested": 2, "referred_on": "2026-09-10",
        "route": "school_arranged", **overrides,
    }  # fmt: skip


async def test_a_school_arranges_ap_for_its_own_pupil_and_only_its_own(platform):
    school = random_urn()
    as_school = token("school", urn=school)
    upn = random_upn()
    made = await platform.referral.post(
        "/v1/referrals", json=arranged_referral(school, upn=upn), headers=as_school
    )
    assert made.status_code == 201 and made.json()["status"] == "accepted", made.text
    referral_id = made.json()["referral_id"]
    got = (await platform.referral.get(f"/v1/referrals/{referral_id}", headers=as_school)).json()
    assert (got["route"], got["home_school_urn"], got["decision"]) == (
        "school_arranged", school, "accepted")  # fmt: skip

    elsewhere = await platform.referral.post(
        "/v1/referrals", json=arranged_referral(school, home_school_urn=random_urn()),
        headers=as_school,
    )  # fmt: skip
    assert elsewhere.status_code == 403, "another school's pupil"
    decided = await platform.referral.post(
        f"/v1/referrals/{referral_id}/decision",
        json={"decision": "declined", "decided_on": "2026-09-11"}, headers=as_school,
    )  # fmt: skip
    assert decided.status_code == 403, "a school never decides through the LA's route"

    provider_id = await new_provider(platform)
    body = {"referral_id": referral_id, "provider_id": provider_id, "tier": 2,
            "start_date": "2026-09-14", "sessions_per_week": 4, "dual_registered": True,
            "notice_given_on": "2026-09-11", "off_site_direction": True}  # fmt: skip
    under_la = {**body, "commissioner": {"kind": "local_authority"}}

    async def place(json: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        async def answered() -> httpx.Response | None:
            r = await platform.placement.post("/v1/placements", json=json, headers=headers)
            return None if r.status_code == 409 and "retry-after" in r.headers else r

        answer: httpx.Response = await eventually(answered)
        return answer

    assert (await place(under_la, LA)).status_code == 403, "never under the LA"
    other = random_urn()
    theirs = {**body, "commissioner": {"kind": "school", "urn": other}}
    assert (await place(theirs, token("school", urn=other))).status_code == 404, (
        "another school's pupil: it may not know the referral exists"
    )
    mine = {**body, "commissioner": {"kind": "school", "urn": school}}
    placed = await place(mine, as_school)
    assert placed.status_code == 201, placed.text
    assert any(w.startswith("notice given late") for w in placed.json()["warnings"]), (
        "Fri 11 for Mon 14 is one school day: recorded, warned, not refused"
    )
    held = (await platform.placement.get(
        f"/v1/placements/{placed.json()['placement_id']}", headers=as_school
    )).json()  # fmt: skip
    assert (held["notice_given_on"], held["off_site_direction"]) == ("2026-09-11", True)

    cookies = await signed_in(platform.reporting, LA["Authorization"])

    async def on_the_action_list() -> bool:  # the LA sees the late notice, as a clock
        answer = await platform.reporting.get(
            "/ui/actions", params={"format": "csv", "table": "clocks"}, cookies=cookies
        )
        assert answer.status_code == 200, answer.text
        return "notice given 2026-09-11 for a start on 2026-09-14" in answer.text

    assert await eventually(on_the_action_list)

    second = await platform.referral.post(
        "/v1/referrals", json=arranged_referral(school, upn=upn), headers=LA
    )
    assert second.status_code == 201, second.text
    conflict = await place({**mine, "referral_id": second.json()["referral_id"]}, as_school)
    assert conflict.status_code == 409
    assert placed.json()["placement_id"] in conflict.json()["detail"], "it names the open one"
