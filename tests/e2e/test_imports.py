"""Bulk import: template -> fill -> import -> the reports show it; re-import changes
nothing; bad files get a clear answer per file or per row, never a 500."""

import asyncio
import io

import httpx
import openpyxl
import pytest
from ap_chassis.auth import issue_token

from tests.support.platform import JWT_SECRET, random_upn, random_urn, token

LA = token()
CENSUS_HEADERS = (
    "UPN", "Forename", "Surname", "Date of Birth", "Sex", "URN", "UKPRN", "APSettingType",
    "EntryDate", "LeavingDate", "PlacementReason", "APAttendancePattern", "APSessionsPerWeek",
    "SENProvisionEntry",
)  # fmt: skip


@pytest.fixture
def platform(services):
    """The placement service reaches the referral service in-process (its configured URL)."""
    services.apps["placement"].state.referral_transport = httpx.ASGITransport(
        app=services.apps["referral"]
    )
    return services


async def run_import(services, content: bytes, *, layout: str, headers=LA, name="f.csv", **form):
    answer = await services.placement.post(
        "/v1/imports",
        files={"file": (name, content)},
        data={"layout": layout, **{k: str(v).lower() for k, v in form.items()}},
        headers=headers,
    )
    assert answer.status_code == 202, answer.text
    import_id = answer.json()["import_id"]
    for _ in range(600):
        state = await services.placement.get(f"/v1/imports/{import_id}", headers=headers)
        assert state.status_code == 200, state.text
        if state.json()["status"] in ("done", "failed"):
            return state.json()
        await asyncio.sleep(0.1)
    raise AssertionError(f"import still running: {state.json()}")


async def template(services, layout: str, headers=LA) -> openpyxl.Workbook:
    answer = await services.placement.get(
        "/v1/imports/template", params={"layout": layout}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return openpyxl.load_workbook(io.BytesIO(answer.content))


def xlsx(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def fill(book: openpyxl.Workbook, rows: list[dict]) -> bytes:
    """Keep the template's headers, replace its example row by `rows`."""
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    sheet.delete_rows(2, sheet.max_row)
    for row in rows:
        sheet.append([row.get(h) for h in headers])
    return xlsx(book)


async def costs(services, urn: str, start="2026-09-01", end="2026-12-31"):
    answer = await services.reporting.get(
        "/v1/costs", params={"from": start, "to": end, "by": "commissioner"}, headers=LA
    )
    return next((r for r in answer.json()["rows"] if r["key"] == f"school:{urn}"), None)


async def test_school_census_rows_are_placed_in_one_pass_and_show_in_costs(platform, wait):
    school = random_urn()
    as_school = token("school", urn=school)
    book = await template(platform, "school_census_ap", as_school)
    assert [c.value for c in book.worksheets[0][1]][:3] == ["upn", "forename", "surname"]
    assert book.worksheets[0].data_validations.dataValidation  # validation lists
    rows = [
        {"upn": random_upn(), "forename": "Ann", "surname": "Ex", "date_of_birth": "04/03/2012",
         "sex": "F", "urn": random_urn(), "entrydate": "14/09/2026", "placementreason": "SUS",
         "apattendancepattern": "PT", "apsessionsperweek": 4, "senprovisionentry": "K"},
        {"upn": random_upn(), "forename": "Bo", "surname": "Ex", "date_of_birth": "2011-05-06",
         "sex": "M", "apsettingtype": "OOT", "entrydate": "2026-10-01",
         "leavingdate": "2026-12-18", "placementreason": "MHN", "apattendancepattern": "PT",
         "apsessionsperweek": 2, "senprovisionentry": "N"},
    ]  # fmt: skip
    content = fill(book, rows)

    # AP the school arranged: its own decision, so every valid row is placed in this run
    first = await run_import(
        platform, content, layout="school_census_ap", headers=as_school, name="c.xlsx"
    )
    assert first["status"] == "done", first
    assert (first["rows"], first["applied"], first["awaiting"], first["refused"]) == (2, 2, 0, 0)
    registered = [r for r in first["report"] if r["field"] == "provider"]
    assert len(registered) == 2 and all("registered provider" in r["message"] for r in registered)
    assert not [r for r in first["report"] if r["message"].startswith("awaiting decision")]

    row = await wait(lambda: costs(platform, school))
    assert row["placements"] == 2 and row["placements_cost_unknown"] == 2
    assert row["cost_pence"] == 0

    again = await run_import(
        platform, content, layout="school_census_ap", headers=as_school, name="c.xlsx"
    )
    assert (again["applied"], again["unchanged"], again["refused"]) == (0, 2, 0), again
    assert await costs(platform, school) == row

    report = await platform.placement.get(
        f"/v1/imports/{first['import_id']}/report.csv", headers=as_school
    )
    assert report.text.splitlines()[0] == "row,field,message"
    other = await platform.placement.get(
        f"/v1/imports/{first['import_id']}", headers=token("school", urn=random_urn())
    )
    assert other.status_code == 404


async def test_journey_template_round_trip_and_a_corrected_file_adds_only_the_change(
    platform, wait
):
    school = random_urn()
    book = await template(platform, "journey")
    example = dict(zip([c.value for c in book.worksheets[0][1]],
                       [c.value for c in book.worksheets[0][2]], strict=True))  # fmt: skip
    row = {**example, "upn": random_upn(), "commissioner_kind": "school",
           "commissioner_urn": school, "start_date": "2026-09-14", "provider_name": "Riverside",
           "provider_setting_type": "OOT", "cost_pence": 6500, "cost_per": "session",
           "sessions_per_week": 8}  # fmt: skip
    first = await run_import(platform, fill(book, [row]), layout="journey", name="j.xlsx")
    assert first["status"] == "done", first
    assert (first["applied"], first["refused"]) == (1, 0), first

    found = await wait(lambda: costs(platform, school))
    assert found["placements"] == 1 and found["placements_cost_unknown"] == 0
    assert found["cost_pence"] > 0

    book = await template(platform, "journey")
    corrected = fill(book, [{**row, "end_date": "2026-10-31", "end_reason": "completed"}])
    second = await run_import(platform, corrected, layout="journey", name="j.xlsx")
    assert (second["applied"], second["unchanged"], second["refused"]) == (1, 0, 0), second

    async def ended():
        now = await costs(platform, school)
        return now if now["cost_pence"] < found["cost_pence"] else None

    await wait(ended)
    again = await run_import(platform, corrected, layout="journey", name="j.xlsx")
    assert (again["applied"], again["unchanged"]) == (0, 1), again
    # a colleague of the same authority importing the same file records nothing new either
    colleague = {"Authorization": "Bearer " + issue_token(JWT_SECRET, sub="la-colleague",
                                                          role="la_officer")}  # fmt: skip
    theirs = await run_import(
        platform, corrected, layout="journey", name="j.xlsx", headers=colleague
    )
    assert (theirs["applied"], theirs["unchanged"]) == (0, 1), theirs


def census_csv(*rows: str, header: str = ",".join(CENSUS_HEADERS)) -> str:
    return "\n".join((header, *rows)) + "\n"


def census_line(upn: str | None = None, **over: str) -> str:
    cells = {"UPN": upn or random_upn(), "Forename": "Zoë", "Surname": "Ex",
             "Date of Birth": "04/03/2012", "Sex": "F", "URN": "", "UKPRN": "",
             "APSettingType": "OTH", "EntryDate": "14/09/2026", "LeavingDate": "",
             "PlacementReason": "OTH", "APAttendancePattern": "FT", "APSessionsPerWeek": "10",
             "SENProvisionEntry": "N", **over}  # fmt: skip
    return ",".join(cells[h] for h in CENSUS_HEADERS)


async def test_bad_rows_are_reported_one_by_one_in_a_dry_run(platform):
    valid = random_upn()
    wrong_check = ("A" if valid[0] != "A" else "B") + valid[1:]
    same = census_line()
    text = census_csv(
        census_line(),
        "",
        ",,,,,,,,,,,,,",
        same,
        same,
        census_line(wrong_check),
        census_line(EntryDate="31/02/2026"),
        census_line(APSessionsPerWeek="=2+2"),
        census_line(PlacementReason="XYZ"),
    )
    for encoding in ("utf-8", "utf-8-sig", "cp1252"):
        state = await run_import(platform, text.encode(encoding), layout="school_census_ap",
                                 dry_run=True, school_urn=random_urn())  # fmt: skip
        assert state["status"] == "done", state
        assert (state["rows"], state["applied"], state["refused"]) == (7, 0, 5), state
        by_row = {r["row"]: r for r in state["report"] if r["field"] != "provider"}
        assert by_row[6]["message"] == "duplicate of row 5"
        assert by_row[7]["field"] == "upn"
        assert by_row[8]["field"] == "entrydate" and "date" in by_row[8]["message"]
        assert by_row[9]["field"] == "apsessionsperweek" and "formula" in by_row[9]["message"]
        assert by_row[10]["field"] == "placementreason"


async def test_bad_files_get_a_clear_answer_never_a_500(platform):
    async def post(content: bytes, **form):
        return await platform.placement.post(
            "/v1/imports", files={"file": ("x", content)},
            data={"layout": "school_census_ap", "school_urn": "123456", **form}, headers=LA,
        )  # fmt: skip

    for content in (
        b"%PDF-1.4\x00\x01binary",
        b"\xd0\xcf\x11\xe0old xls",
        census_csv(census_line()).encode("utf-16"),
        b"PK\x03\x04not a zip",
        b"",
    ):
        answer = await post(content)
        if answer.status_code == 202:  # a zip that is not a workbook is found out by parsing
            state = await run_import(platform, content, layout="journey")
            assert state["status"] == "failed" and state["report"][0]["field"] == "file"
            continue
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "file"

    unknown = await run_import(platform, b"upn,favourite_colour\nX,blue\n", layout="journey")
    assert unknown["status"] == "failed"
    assert "favourite_colour" in unknown["report"][0]["message"]

    limit = platform.apps["placement"].state.settings.import_max_bytes
    too_big = await post(b"a" * (limit + 1))
    assert too_big.status_code == 413

    no_school = await platform.placement.post(
        "/v1/imports", files={"file": ("x.csv", b"upn\n")}, data={"layout": "school_census_ap"},
        headers=LA,
    )  # fmt: skip
    assert no_school.status_code == 422
    assert no_school.json()["errors"][0]["field"] == "school_urn"


async def test_too_many_rows_is_refused_whole_with_the_limit(platform):
    rows = platform.apps["placement"].state.settings.import_max_rows
    line = census_line()
    content = census_csv(*[line] * (rows + 1)).encode()
    state = await run_import(platform, content, layout="school_census_ap", school_urn="123456")
    assert state["status"] == "failed"
    assert f"more than {rows} data rows" in state["report"][0]["message"]
    assert state["applied"] == 0


async def test_the_command_line_shows_progress_and_saves_the_report(platform, tmp_path, capsys):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "import_file", Path(__file__).parents[2] / "deploy" / "local" / "import_file.py"
    )
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    path = tmp_path / "census.csv"
    path.write_text(census_csv(census_line(), census_line(upn="bad")))
    state, report = await cli.run_import(
        platform.placement, path, layout="school_census_ap", headers=LA, school_urn=random_urn(),
        dry_run=True, report_dir=tmp_path,
    )  # fmt: skip
    assert state["status"] == "done" and state["refused"] == 1
    assert report.exists() and "3,upn," in report.read_text()
    shown = capsys.readouterr().err
    assert "rows validated" in shown and "2/2" in shown
