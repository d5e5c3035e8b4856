"""The AP census and the school census AP module on a fixed cohort that covers every scope rule,
against golden files, with every XML produced checked against ap_census.xsd. Pure.

Regenerate the golden files after a deliberate change: UPDATE_GOLDEN=1 pytest this file.
"""

import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from ap_chassis.errors import InvalidCommandError
from ap_reporting.placement_facts import PlacementFact
from ap_reporting.returns import census, school_census, validation, working_file, xml
from lxml import etree

GOLDEN = Path(__file__).parent / "golden"
DAY = date(2027, 1, 21)  # the 2027 census day; period 16 Jan 2026 - 21 Jan 2027
PROVIDERS = {
    "urn-ap": {"name": "Riverside AP", "urn": "140001", "registered": True},
    "ukprn-ap": {"name": "Hilltop Tuition", "ukprn": "10012345", "registered": True},
    "oot": {"name": "One-to-one", "setting_type": "OOT", "registered": False},
    "pru": {"name": "City PRU", "urn": "140002", "registered": True, "state_ap": True},
    "both": {"name": "Two ids", "urn": "140003", "ukprn": "10099999", "registered": True},
}


def who(upn: str, born: str, **extra) -> dict:
    return {"upn": upn, "forename": "Forename", "surname": "Surname", "date_of_birth": born,
            "sex": "F", "sen_provision": "K", "postcode": "BS1 1AA", **extra}  # fmt: skip


def fact(pupil, start, end=None, *, provider="oot", commissioner="local_authority",
         reason="suspension", sessions=6, placement=None) -> PlacementFact:  # fmt: skip
    return PlacementFact(
        placement_id=placement or f"{pupil}-{start}", pupil_id=pupil, provider_id=provider,
        commissioner=commissioner, tier=2, start_date=date.fromisoformat(start),
        end_date=date.fromisoformat(end) if end else None, annual_cost_pence=1,
        sessions_per_week=sessions, reason=reason, home_school_urn="135790",
    )  # fmt: skip


# One pupil per scope rule. In the return: leaver, moved (two placements), temporary, open-late,
# ehc (with a validation error), full (every optional item). Out: school, state-ap, age19,
# before, school-funded, no-identity (validation error), plus an out-of-range birth at the
# young end.
FACTS = [
    fact("leaver", "2026-09-07", "2026-10-23", provider="urn-ap"),  # in-year leaver
    fact("moved", "2026-02-02", "2026-07-17", provider="urn-ap"),  # two placements in the period
    fact("moved", "2026-09-07", provider="ukprn-ap", sessions=10),  # ... the latest one counts
    fact("school", "2026-09-07", commissioner="school:123456"),  # school-arranged: never
    fact("state-ap", "2026-09-07", provider="pru"),  # state AP provider: out
    fact("age19", "2026-09-07"),  # born before 1 Sep 2007: out
    fact("temporary", "2026-09-07", provider="both"),  # temporary UPN: in, with a query
    fact("open-late", "2026-09-01", "2027-02-10"),  # left after the census day: no leaving date
    fact("before", "2025-09-01", "2026-01-10"),  # ended before the period: out
    fact("school-funded", "2026-09-07", placement="school-funded-1"),  # LA-arranged, school pays
    fact("no-identity", "2026-09-07"),  # identity not arrived: validation error
    fact("ehc", "2026-03-02", reason="ehc_plan_named"),  # EHC plan named without SEN E
    fact("full", "2026-11-02", provider="urn-ap", reason="permanent_exclusion", sessions=10),
    fact("baby", "2026-11-02"),  # born after 31 Dec 2024: out
]
FUNDED_BY = {"school-funded-1": "school", "leaver-2026-09-07": None}
IDENTITIES = {
    "leaver": who("P801200005011", "2012-03-04"),
    "moved": who("D801200005012", "2010-09-01", sex="M"),
    "school": who("T801200005013", "2012-03-04"),
    "state-ap": who("G801200005014", "2012-03-04"),
    "age19": who("W801200005015", "2007-05-01"),
    "temporary": who("A80120000501A", "2011-01-31", sex="U"),
    "open-late": who("K801200005016", "2007-09-01"),  # first day of the range: in
    "before": who("Z801200005017", "2012-03-04"),
    "school-funded": who("N801200005018", "2012-03-04"),
    "ehc": who("C801200005019", "2013-06-30"),
    "full": who("L00180001701B", "2011-02-03", uln="1234567890", middle_names="Middle",
                preferred_surname="Preferred", ethnicity="WBRI", fsm_eligible=True,
                service_child=False, uprn="100012345678",
                address_lines=["1 Example Street", "Bristol"],
                fsm_periods=[{"start_date": "2025-03-01", "end_date": "2026-02-28"},
                             {"start_date": "2026-04-01", "end_date": None},
                             {"start_date": "2024-01-01", "end_date": "2024-06-30"}]),
    "baby": who("P801200005011", "2025-01-01"),
}  # fmt: skip
IN_RETURN = {"leaver", "moved", "temporary", "open-late", "ehc", "full"}


def selection(facts=FACTS, identities=IDENTITIES, day=DAY) -> census.Selection:
    return census.select(facts, funded_by=FUNDED_BY, identities=identities, providers=PROVIDERS,
                         census_date=day)  # fmt: skip


def header(rehearsal=False) -> xml.Header:
    return xml.Header(census_date=DAY, la_number="801", serial_no=3,
                      created_at=datetime(2027, 1, 22, 9, 30, 5, 123, tzinfo=UTC),
                      rehearsal=rehearsal)  # fmt: skip


def golden(name: str, produced: str) -> str:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(produced)
    return path.read_text()


# census day, period, birth range ---------------------------------------------------------


def test_census_day_is_the_third_thursday_of_january():
    assert census.census_day(2027) == date(2027, 1, 21)
    assert census.census_day(2026) == date(2026, 1, 15)
    assert census.census_day(2024) == date(2024, 1, 18)  # DfE: period 20 Jan 2023 - 18 Jan 2024
    assert census.census_day(2032) == date(2032, 1, 15)  # 1 January 2032 is a Thursday


def test_the_period_runs_from_the_day_after_the_previous_census_day():
    assert census.census_period(date(2024, 1, 18)) == (date(2023, 1, 20), date(2024, 1, 18))


def test_birth_range_is_the_2025_range_moved_a_year_per_census():
    assert census.birth_range(2025) == (date(2005, 9, 1), date(2022, 12, 31))
    assert census.birth_range(2027) == (date(2007, 9, 1), date(2024, 12, 31))
    assert census.birth_range(2024) == (date(2004, 9, 1), date(2021, 12, 31))


def test_another_date_is_refused_naming_that_years_census_day_unless_a_rehearsal():
    with pytest.raises(InvalidCommandError) as err:
        census.check_census_date(date(2027, 1, 20), allow_any_date=False)
    assert err.value.field == "census_date"
    assert "2027-01-21" in err.value.detail
    assert census.check_census_date(date(2027, 1, 20), allow_any_date=True) is None
    assert census.check_census_date(DAY, allow_any_date=False) is None


# scope --------------------------------------------------------------------------------------


def test_scope_holds_exactly_the_pupils_each_rule_lets_in():
    chosen = selection()
    assert set(chosen.records) == IN_RETURN
    assert set(chosen.identity_missing) == {"no-identity"}
    assert set(chosen.out_of_age) == {"age19", "baby"}
    assert chosen.records["moved"].provider_id == "ukprn-ap"  # the latest placement


def test_a_record_carries_the_latest_placement_and_its_leaving_date_only_when_left_by_the_day():
    records = {r["upn"]: r for r in census.records(selection(), IDENTITIES, PROVIDERS)}
    leaver = records["P801200005011"]
    assert (leaver["entry_date"], leaver["leaving_date"]) == ("2026-09-07", "2026-10-23")
    assert records["K801200005016"]["leaving_date"] is None  # left after the census day
    moved = records["D801200005012"]
    assert (moved["provider_ukprn"], moved["entry_date"], moved["attendance_pattern"]) == (
        "10012345", "2026-09-07", "FT",
    )  # fmt: skip
    assert "provider_urn" not in moved and "setting_type" not in moved
    assert records["A80120000501A"]["provider_urn"] == "140003"  # URN wins over UKPRN
    full = records["L00180001701B"]
    assert full["fsm_periods"] == [{"start_date": "2025-03-01", "end_date": "2026-02-28"},
                                   {"start_date": "2026-04-01", "end_date": None}]  # fmt: skip
    assert full["primary_reason"] == "PEX"


# golden files ------------------------------------------------------------------------------


def test_the_xml_matches_the_golden_file_and_validates_against_the_xsd():
    document = xml.build(census.records(selection(), IDENTITIES, PROVIDERS), header())
    assert xml.schema_errors(document) == []
    assert document.decode() == golden("ap-census-2027.xml", document.decode())
    root = etree.fromstring(document)
    assert [e.tag for e in root] == ["Header", "Pupils"]
    assert root.findtext("Header/Source/LEA") == "801"
    assert root.findtext("Header/Source/SerialNo") == "3"
    assert root.findtext("Header/Source/DateTime") == "2027-01-22T09:30:05"
    assert root.find("Header/CollectionDetails/Rehearsal") is None
    assert len(root.findall("Pupils/Pupil")) == len(IN_RETURN)


def test_the_csv_working_file_holds_the_same_records():
    records = census.records(selection(), IDENTITIES, PROVIDERS)
    text = working_file.to_csv(records)
    assert text == golden("ap-census-2027.csv", text)
    lines = text.splitlines()
    assert lines[0].split(",") == list(working_file.COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == [r["upn"] for r in records]


def test_the_validation_report_matches_the_golden_file_and_never_echoes_personal_data():
    report = validation.report(selection(), IDENTITIES, PROVIDERS)
    text = json.dumps(report, indent=1, sort_keys=True) + "\n"
    assert text == golden("ap-census-2027-validation.json", text)
    errors = {(i["pupil_id"], i["code"]) for i in report["errors"]}
    queries = {(i["pupil_id"], i["code"]) for i in report["queries"]}
    assert errors == {("no-identity", "identity_missing"), ("ehc", "ehc_plan_without_sen_e")}
    assert {("temporary", "upn_temporary"), ("age19", "age_out_of_range"),
            ("baby", "age_out_of_range"), ("temporary", "provider_identifier_several"),
            ("open-late", "uln_missing")} <= queries  # fmt: skip
    assert ("full", "uln_missing") not in queries  # has a ULN
    for value in ("Forename", "Surname", "BS1 1AA", "1 Example Street", "2012-03-04"):
        assert value not in text
    assert not re.search(r"[A-Z]\d{11}[0-9A-Z]", text)  # no UPN


# validation rules one by one ---------------------------------------------------------------


def codes_for(identity: dict, placement: PlacementFact, providers=PROVIDERS) -> set[str]:
    chosen = census.select([placement], funded_by={}, identities={"x": identity},
                           providers=providers, census_date=DAY)  # fmt: skip
    report = validation.report(chosen, {"x": identity}, providers)
    return {i["code"] for i in report["errors"]} | {i["code"] for i in report["queries"]}


def test_each_validation_rule():
    ok = who("P801200005011", "2013-03-04")  # 13 on the day: no ULN expected
    assert codes_for(ok, fact("x", "2026-09-07")) == set()
    assert "upn_invalid" in codes_for({**ok, "upn": "B801200005011"}, fact("x", "2026-09-07"))
    assert "upn_missing" in codes_for({**ok, "upn": None}, fact("x", "2026-09-07"))
    assert "sex_missing" in codes_for({**ok, "sex": None}, fact("x", "2026-09-07"))
    assert "sex_invalid" in codes_for({**ok, "sex": "X"}, fact("x", "2026-09-07"))
    assert "sen_provision_missing" in codes_for({**ok, "sen_provision": None},
                                                fact("x", "2026-09-07"))  # fmt: skip
    assert "leaving_before_entry" in codes_for(ok, fact("x", "2026-09-07", "2026-09-01"))
    assert "provider_unknown" in codes_for(ok, fact("x", "2026-09-07", provider="nobody"))
    assert "provider_identifier_missing" in codes_for(
        ok, fact("x", "2026-09-07", provider="bare"), {"bare": {"name": "Bare"}}
    )
    assert "ehc_plan_without_sen_e" not in codes_for(
        {**ok, "sen_provision": "E"}, fact("x", "2026-09-07", reason="ehc_plan_named")
    )
    assert "postcode_missing" in codes_for({**ok, "postcode": None}, fact("x", "2026-09-07"))


def test_a_rehearsal_is_marked_in_the_header_and_still_validates():
    document = xml.build([], header(rehearsal=True))
    assert xml.schema_errors(document) == []
    assert etree.fromstring(document).findtext("Header/CollectionDetails/Rehearsal") == "true"


def test_a_record_without_a_provider_identifier_does_not_validate():
    chosen = census.select([fact("x", "2026-09-07", provider="bare")], funded_by={},
                           identities={"x": IDENTITIES["leaver"]},
                           providers={"bare": {"name": "Bare"}}, census_date=DAY)  # fmt: skip
    records = census.records(chosen, {"x": IDENTITIES["leaver"]}, {"bare": {"name": "Bare"}})
    assert xml.schema_errors(xml.build(records, header()))


def test_every_tag_of_the_tag_map_is_declared_in_the_xsd():
    xsd = (Path(census.__file__).parent / "ap_census.xsd").read_text()
    declared = set(re.findall(r'<xs:element name="([^"]+)"', xsd))
    for item, entry in census.tagmap()["tags"].items():
        tags = {entry["tag"].format(n=n) for n in range(1, 6)}
        assert tags <= declared, item
        assert entry["mark"] in ("V", "S", "I")


# school census AP module ---------------------------------------------------------------------


def test_school_census_lists_the_placements_that_school_arranged_in_the_term():
    facts = [*FACTS, fact("school", "2026-02-02", "2026-03-20", commissioner="school:123456",
                          provider="urn-ap", reason="mental_health_need")]  # fmt: skip
    window = school_census.term_window("autumn", 2026)
    assert window == (date(2026, 8, 1), date(2026, 12, 31))
    chosen = school_census.arranged_by(facts, "123456", window)
    assert [f.start_date for f in chosen] == [date(2026, 9, 7)]
    rows = school_census.item_rows(chosen, window=window, identities=IDENTITIES,
                                   providers=PROVIDERS, sen_at_referral={})  # fmt: skip
    (row,) = rows
    assert list(row) == list(school_census.items())
    assert (row["upn"], row["apsettingtype"], row["urn"], row["placementreason"]) == (
        "T801200005013", "OOT", None, "SUS",
    )  # fmt: skip
    spring = school_census.arranged_by(facts, "123456", school_census.term_window("spring", 2026))
    (row,) = school_census.item_rows(spring, window=school_census.term_window("spring", 2026),
                                     identities=IDENTITIES, providers=PROVIDERS,
                                     sen_at_referral={"school-2026-02-02": "N"})  # fmt: skip
    assert (row["urn"], row["placementreason"], row["leavingdate"]) == (
        "140001", "MHN", "2026-03-20",
    )  # fmt: skip
    assert (row["senprovisionentry"], row["senprovisionleaving"]) == ("N", "K")
    assert school_census.arranged_by(facts, "654321", window) == []
