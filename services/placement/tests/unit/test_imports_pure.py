"""Reading and checking import files, without I/O: every bad-input case a file can hold."""

import io
from datetime import date

import openpyxl
import pytest
from ap_placement.imports import layouts
from ap_placement.imports.parse import FileRefusedError, Formula, parse
from ap_placement.imports.validate import Scope, validate
from ap_schemas.upn import check_letter

UPN_BODY = "801200005001"
UPN = check_letter(UPN_BODY) + UPN_BODY
SCHOOL = Scope("school", "123456", "123456")
LA = Scope("la_officer", None, "123456")
CENSUS = ("upn,forename,surname,date_of_birth,sex,urn,ukprn,apsettingtype,entrydate,leavingdate,"
          "placementreason,apattendancepattern,apsessionsperweek,senprovisionentry")  # fmt: skip


def census_row(**over: str) -> str:
    cells = {"upn": UPN, "forename": "Sam", "surname": "Ex", "date_of_birth": "04/03/2012",
             "sex": "U", "urn": "", "ukprn": "", "apsettingtype": "OOT",
             "entrydate": "2026-09-14", "leavingdate": "", "placementreason": "SUS",
             "apattendancepattern": "PT", "apsessionsperweek": "4", "senprovisionentry": "K",
             **over}  # fmt: skip
    return ",".join(cells[h] for h in CENSUS.split(","))


def check(text: str | bytes, layout: str = "school_census_ap", scope: Scope = LA):
    data = text.encode() if isinstance(text, str) else text
    sheet = parse(data, max_rows=1000)
    chosen = layouts.layout(layout)
    return validate(chosen, layouts.match_headers(chosen, sheet.headers), sheet.rows, scope)


def test_a_census_row_becomes_referral_placement_and_end_of_the_school():
    result = check(CENSUS + "\n" + census_row(leavingdate="18/12/2026") + "\n")
    assert result.issues == []
    (plan,) = result.plans
    assert plan.referral["referrer"] == {"kind": "school", "urn": "123456"}
    assert (
        plan.referral["reason"] == "suspension" and plan.referral["date_of_birth"] == "2012-03-04"
    )
    assert plan.placement.commissioner.urn == "123456" and plan.placement.cost is None
    assert plan.provider.setting_type == "OOT" and plan.provider.registered is False
    assert plan.end.end_date == date(2026, 12, 18)
    assert plan.referral["route"] == "school_arranged", "the school's own AP: no LA decision"
    assert plan.decision is None, "an import never decides on anyone's behalf"


def test_a_census_row_may_carry_its_notice_and_off_site_direction():
    header = CENSUS + ",noticegivenon,offsitedirection"
    result = check(f"{header}\n{census_row()},10/09/2026,Y\n{census_row()},someday,\n")
    (plan,) = result.plans
    assert (plan.placement.notice_given_on, plan.placement.off_site_direction) == (
        date(2026, 9, 10), True)  # fmt: skip
    assert [(i.row, i.field) for i in result.issues] == [(3, "noticegivenon")]


def test_headers_match_in_any_case_and_order_and_unknown_ones_refuse_the_file():
    header = ",".join(reversed(CENSUS.upper().split(",")))
    row = ",".join(reversed(census_row().split(",")))
    assert check(header + "\n" + row + "\n").issues == []
    with pytest.raises(FileRefusedError, match=r"unknown headers.*shoe_size"):
        check(CENSUS + ",shoe_size\n")
    with pytest.raises(FileRefusedError, match=r"missing headers.*entrydate"):
        check(CENSUS.replace("entrydate,", "") + "\n")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_utf8_with_or_without_bom_and_windows_1252_are_read(encoding):
    sheet = parse((CENSUS + "\n" + census_row(forename="Zoë") + "\n").encode(encoding), max_rows=9)
    assert sheet.rows[0].cells[1] == "Zoë"


def test_other_encodings_and_other_formats_are_refused_whole():
    with pytest.raises(FileRefusedError, match="neither UTF-8 nor Windows-1252"):
        parse(b"upn\n\x81\x8d\n", max_rows=9)
    with pytest.raises(FileRefusedError, match="UTF-16"):
        parse("upn\nx\n".encode("utf-16"), max_rows=9)
    with pytest.raises(FileRefusedError, match=r"\.xls"):
        parse(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", max_rows=9)
    with pytest.raises(FileRefusedError, match="XLSX"):
        parse(b"PK\x03\x04 broken", max_rows=9)


def test_blank_rows_are_skipped_and_rows_keep_their_line_numbers():
    text = CENSUS + "\n\n" + ",,,,,,,,,,,,,\n" + census_row() + "\n"
    result = check(text)
    assert (result.rows, [p.row for p in result.plans]) == (1, [4])


def test_duplicated_rows_are_refused_naming_the_first():
    result = check("\n".join([CENSUS, census_row(), census_row()]) + "\n")
    assert [(i.row, i.message) for i in result.issues] == [(3, "duplicate of row 2")]


def test_dates_iso_or_dd_mm_yyyy_and_nothing_else():
    ok = check(CENSUS + "\n" + census_row(entrydate="01/10/2026") + "\n")
    assert ok.plans[0].placement.start_date == date(2026, 10, 1)
    bad = check(CENSUS + "\n" + census_row(entrydate="10-01-2026") + "\n")
    assert (bad.issues[0].field, bad.issues[0].message[:10]) == ("entrydate", "not a date")


def test_a_upn_with_the_wrong_check_letter_is_refused_on_its_row():
    wrong = ("A" if UPN[0] != "A" else "B") + UPN_BODY
    result = check(CENSUS + "\n" + census_row(upn=wrong) + "\n")
    assert result.issues[0].field == "upn" and "check letter" in result.issues[0].message


def test_formula_cells_in_a_workbook_are_refused_on_their_row():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(CENSUS.split(","))
    sheet.append(census_row().split(","))
    sheet.append(census_row(upn="=A2").split(","))
    sheet["M3"] = "=2*2"
    buffer = io.BytesIO()
    book.save(buffer)
    parsed = parse(buffer.getvalue(), max_rows=9)
    assert isinstance(parsed.rows[1].cells[0], Formula)
    result = check(buffer.getvalue())
    assert [(i.row, i.field) for i in result.issues] == [(3, "upn")]
    assert "formula" in result.issues[0].message


def test_too_many_rows_refuse_the_file_with_the_limit():
    with pytest.raises(FileRefusedError, match="more than 2 data rows"):
        parse("\n".join([CENSUS, census_row(), census_row(), census_row()]).encode(), max_rows=2)


def test_the_provider_is_named_by_exactly_one_identifier():
    result = check(CENSUS + "\n" + census_row(urn="100001", apsettingtype="OOT") + "\n")
    assert result.issues[0].field == "urn"


def test_a_school_imports_only_its_own_journey_rows_and_never_decides():
    header = "upn,forename,surname,date_of_birth,sex,sen_provision,referrer_kind,referrer_urn,"
    header += "reason,tier_requested,referred_on,decision,decided_on"
    mine = f"{UPN},A,B,2012-03-04,U,K,school,123456,suspension,2,2026-09-07,,"
    other = f"{UPN},A,B,2012-03-04,U,K,school,654321,suspension,2,2026-09-07,,"
    deciding = f"{UPN},A,C,2012-03-04,U,K,school,123456,suspension,2,2026-09-07,accepted,2026-09-08"
    result = check("\n".join([header, mine, other, deciding]) + "\n", "journey", SCHOOL)
    assert [p.row for p in result.plans] == [2]
    assert [(i.row, i.field) for i in result.issues] == [(3, "referrer_urn"), (4, "decision")]


def test_the_journey_layout_covers_every_field_of_the_commands():
    from ap_placement.models import PlacementEndIn, PlacementIn
    from ap_schemas.events import PupilIdentityRecordedV1, PupilReferredV1

    names = set(layouts.journey().names)
    nested = {"referrer": {"referrer_kind", "referrer_urn"},
              "commissioner": {"commissioner_kind", "commissioner_urn"},
              "cost": {"cost_pence", "cost_per"}, "provider_id": {"provider_id"},
              "referral_id": {"referral_id"},
              "address_lines": {"address_line_1", "address_line_2", "address_line_3"},
              "fsm_periods": {"fsm_start", "fsm_end"}}  # fmt: skip
    fields = set(PlacementIn.model_fields) | set(PupilReferredV1.model_fields)
    fields |= set(PupilIdentityRecordedV1.model_fields) - {"former_upn"}
    fields -= {"occurred_at", "pupil_id"}
    for name in fields:
        assert nested.get(name, {name}) <= names, name
    assert {"end_date", "end_reason"} <= names and len(PlacementEndIn.model_fields) == 2
