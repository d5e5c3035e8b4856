"""Statutory returns through the HTTP APIs: census items captured at referral reach the AP census
XML (valid against its XSD), the scope rules hold end to end, and the school census AP module."""

import uuid

from ap_reporting.returns import xml
from lxml import etree

from tests.e2e.support.journeys import accepted_referral, placement_body, retrying
from tests.support.platform import random_urn, referral_body, token

LA = token()
DAY = "2041-01-17"  # the 2041 census day: a year no other test uses
CENSUS_ITEMS = {
    "uln": "1234567890",
    "address_lines": ["1 Census Street", "Bristol"],
    "uprn": "100012345678",
    "service_child": True,
    "fsm_periods": [{"start_date": "2040-04-01"}],
}


async def provider(services, **body) -> str:
    answer = await services.placement.post(
        "/v1/providers", json={"name": "AP", "registered": True, **body}, headers=LA
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["provider_id"]


async def placed(services, provider_id: str, **overrides) -> dict:
    """A pupil born 2028 (inside the 2041 range), referred, accepted and placed in autumn 2040."""
    identity = overrides.pop("identity", {})
    referral = await accepted_referral(
        services, decided_on="2040-09-02",
        **referral_body(referred_on="2040-09-01", date_of_birth="2028-05-06", **identity),
    )  # fmt: skip
    answer = await retrying(lambda: services.placement.post(
        "/v1/placements",
        json=placement_body(referral["referral_id"], provider_id, start_date="2040-09-10",
                            planned_end_date=None, **overrides),
        headers=LA,
    ))  # fmt: skip
    assert answer.status_code == 201, answer.text
    return {**referral, **answer.json()}


async def test_ap_census_scope_items_and_school_census_through_the_api(services, wait):
    ap_urn = random_urn()
    ap = await provider(services, urn=ap_urn)
    pru = await provider(services, urn=random_urn(), state_ap=True)
    school = random_urn()
    leaver = await placed(services, ap, identity=CENSUS_ITEMS)
    ended = await services.placement.post(
        f"/v1/placements/{leaver['placement_id']}/end",
        json={"end_date": "2040-11-30", "reason": "completed"}, headers=LA,
    )  # fmt: skip
    assert ended.status_code == 200, ended.text
    state_ap = await placed(services, pru)
    school_funded = await placed(services, ap, funded_by="school")
    school_arranged = await placed(services, ap, commissioner={"kind": "school", "urn": school})
    out = (state_ap, school_funded, school_arranged)

    async def all_projected():
        for pupil in (leaver, *out):
            r = await services.reporting.get(f"/v1/pupils/{pupil['pupil_id']}/timeline",
                                             headers=LA)  # fmt: skip
            if r.status_code != 200 or r.json()["status"] not in ("placed", "placement_ended"):
                return False
        r = await services.reporting.get(
            "/v1/returns/ap-census", params={"census_date": DAY}, headers=LA
        )
        return r.status_code == 200 and "2040-11-30" in r.text and r

    answer = await wait(all_projected, timeout=30)
    assert answer.headers["content-type"].startswith("application/xml")
    assert xml.schema_errors(answer.content) == []
    root = etree.fromstring(answer.content)
    assert root.findtext("Header/CollectionDetails/ReferenceDate") == DAY
    assert root.find("Header/CollectionDetails/Rehearsal") is None
    assert root.findtext("Header/Source/LEA") == "999"  # CENSUS_LA_NUMBER unset in tests
    pupils = {p.findtext("PupilIdentifiers/UPN"): p for p in root.iter("Pupil")}
    mine = pupils.pop(leaver_upn := await upn_of(services, leaver["pupil_id"]))
    assert mine.findtext("PupilIdentifiers/ULN") == "1234567890"
    assert mine.findtext("HomeInformation/Address/AddressLine1") == "1 Census Street"
    assert mine.findtext("HomeInformation/UPRN") == "100012345678"
    assert mine.findtext("PupilCharacteristics/ServiceChild") == "true"
    assert mine.findtext("PupilCharacteristics/FSMList/FSM/FSMstartDate") == "2040-04-01"
    assert mine.findtext("APPlacement/LeavingDate") == "2040-11-30"
    for pupil in out:
        assert await upn_of(services, pupil["pupil_id"]) not in pupils

    pool = services.apps["reporting"].state.runtime.pool
    assert await pool.fetchval(
        "SELECT count(*) FROM identity_reads WHERE pupil_id = $1 AND purpose = $2",
        uuid.UUID(leaver["pupil_id"]), f"ap-census {DAY}",
    ) >= 1  # fmt: skip

    wrong_day = await services.reporting.get(
        "/v1/returns/ap-census", params={"census_date": "2041-01-18"}, headers=LA
    )
    assert wrong_day.status_code == 422
    assert wrong_day.json()["errors"][0]["field"] == "census_date"
    assert DAY in wrong_day.json()["detail"]
    missing = await services.reporting.get("/v1/returns/ap-census", headers=LA)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "census_date"
    rehearsal = await services.reporting.get(
        "/v1/returns/ap-census",
        params={"census_date": "2041-01-18", "allow_any_date": "true"}, headers=LA,
    )  # fmt: skip
    assert rehearsal.status_code == 200
    assert etree.fromstring(rehearsal.content).findtext(
        "Header/CollectionDetails/Rehearsal"
    ) == "true"  # fmt: skip
    assert (await services.reporting.get(
        "/v1/returns/ap-census", params={"census_date": DAY}, headers=token("analyst")
    )).status_code == 403  # fmt: skip

    report = await services.reporting.get(
        "/v1/returns/ap-census/validation", params={"census_date": DAY}, headers=LA
    )
    assert report.status_code == 200, report.text
    assert report.json()["census_date"] == DAY
    assert not [e for e in report.json()["errors"] if e["pupil_id"] == leaver["pupil_id"]]
    assert leaver_upn not in report.text and "Census Street" not in report.text

    params = {"urn": school, "term": "autumn", "year": 2040}
    as_la = await services.reporting.get("/v1/returns/school-census-ap", params=params,
                                         headers=LA)  # fmt: skip
    assert as_la.status_code == 200, as_la.text
    (row,) = as_la.json()["placements"]
    assert (row["pupil_id"], row["entrydate"], row["urn"]) == (
        school_arranged["pupil_id"], "2040-09-10", ap_urn,
    )  # fmt: skip
    assert row["senprovisionentry"] == "K"
    as_school = await services.reporting.get(
        "/v1/returns/school-census-ap", params=params, headers=token("school", urn=school)
    )
    assert as_school.json()["placements"] == as_la.json()["placements"]
    other_school = await services.reporting.get(
        "/v1/returns/school-census-ap", params=params, headers=token("school", urn="111111")
    )
    assert other_school.status_code == 403
    as_csv = await services.reporting.get(
        "/v1/returns/school-census-ap", params={**params, "format": "csv"}, headers=LA
    )
    assert as_csv.text.splitlines()[0].startswith("pupil_id,upn,forename,surname")


async def upn_of(services, pupil_id: str) -> str:
    """The pupil's UPN as reporting holds it (journey.identity)."""
    pool = services.apps["reporting"].state.runtime.pool
    details = await pool.fetchval(
        "SELECT details FROM pupil_identity WHERE pupil_id = $1", uuid.UUID(pupil_id)
    )
    return str(details["upn"])


async def test_a_census_date_out_of_any_sensible_range_is_a_422_naming_it(services):
    """Found by the fuzz test: year 1 made the birth range's year arithmetic raise (a 500)."""
    answer = await services.reporting.get(
        "/v1/returns/ap-census/validation",
        params={"census_date": "0001-01-18", "allow_any_date": "true"},
        headers=token(),
    )
    assert answer.status_code == 422, answer.text
    assert "census_date" in answer.text
