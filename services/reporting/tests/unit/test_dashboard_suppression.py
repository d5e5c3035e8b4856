"""Small numbers on the dashboard pages and their downloads, pure."""

import csv
import io
from datetime import date

import reporting_reference as reference
from ap_reporting.placement_facts import PlacementFact
from ap_reporting.policy import policy
from ap_reporting.projection import JourneyEvent
from ap_reporting.ui import pages, suppression
from ap_reporting.ui.tables import to_csv

PERIOD = pages.Filters(date(2026, 9, 1), date(2026, 11, 30))
MARK = suppression.MARK


def _facts(n: int, provider: str, tier: int, first: int = 0) -> list[PlacementFact]:
    return [
        PlacementFact(f"pl{provider}{i}", f"p{first + i}", provider, "local_authority", tier,
                      date(2026, 9, 1), None, 3_650_000)
        for i in range(n)
    ]  # fmt: skip


# 6 pupils at "big" (tier 2), 2 at "small" (tier 3), 7 at "mid" (tier 1)
COHORT = _facts(6, "big", 2) + _facts(2, "small", 3, 100) + _facts(7, "mid", 1, 200)


def _rows(page: pages.Page, tid: str) -> dict[str, tuple]:
    return {str(r[1]): r for t in page.tables if t.id == tid for r in t.rows}


def test_the_threshold_is_disclosures():
    assert suppression.applies("analyst") and suppression.applies("auditor")
    assert not suppression.applies("la_officer")
    assert str(policy().suppress_below_pupils) in suppression.NOTE


def test_overview_hides_small_cells_and_the_next_smallest_beside_the_total():
    raw = reference.overview(COHORT, COHORT, {}, set(), date(2026, 10, 1), PERIOD)
    seen = suppression.page(raw)
    assert _rows(raw, "by-provider")["small"][2:] == (2, 2)  # the LA officer's page
    by_provider = _rows(seen, "by-provider")
    assert by_provider["small"][2:] == (MARK, MARK)
    assert by_provider["big"][2:] == (MARK, MARK)  # else 15 - 7 - the rest gives it away
    assert by_provider["mid"][2:] == (7, 7)
    figures = {f[0]: f[2] for f in seen.figures}
    assert figures["in-ap"] == "15"
    assert figures["unregistered"] == MARK and figures["dual"] == MARK  # 0 is small too
    assert suppression.NOTE in seen.notes and suppression.NOTE not in raw.notes


def test_money_withholds_the_cost_of_a_small_row_in_the_page_and_the_csv():
    seen = suppression.page(reference.money(COHORT, {}, PERIOD))
    by_provider = _rows(seen, "cost-by-provider")
    assert by_provider["small"][2:] == (MARK, MARK, MARK)
    assert isinstance(by_provider["big"][4], int)
    table = next(t for t in seen.tables if t.id == "cost-by-provider")
    lines = list(csv.reader(io.StringIO(to_csv(table))))
    assert [MARK, MARK, MARK] in [line[2:] for line in lines]
    assert not any(line[1] == "big" and MARK in line for line in lines)


def test_money_figures_rest_on_the_pupils_placed():
    few = suppression.page(reference.money(COHORT[6:8], {}, PERIOD))
    assert {f[0]: f[2] for f in few.figures} == dict.fromkeys(
        ("total-cost", "pupils", "cost-per-pupil"), MARK
    )
    assert few.charts == []  # the monthly chart would draw the withheld spend
    many = suppression.page(reference.money(COHORT, {}, PERIOD))
    assert MARK not in {f[2] for f in many.figures} and many.charts


def test_outcomes_hide_small_reintegrations_and_the_rates_of_few_destinations():
    events = [
        JourneyEvent(i, "journey.pupil.reintegrated.v1", date(2026, 10, 1),
                     {"pupil_id": f"p{i}", "reintegration_id": f"r{i}"})
        for i in range(3)
    ] + [
        JourneyEvent(10 + i, "journey.destination.confirmed.v1", date(2026, 10, 2),
                     {"pupil_id": f"p{i}", "activity_code": 210})
        for i in range(2)
    ]  # fmt: skip
    raw = reference.outcomes(events, COHORT, {}, PERIOD)
    seen = suppression.page(raw)
    assert {f[0]: f[2] for f in raw.figures}["reintegrations"] == "3"
    figures = {f[0]: f[2] for f in seen.figures}
    assert figures["reintegrations"] == figures["sustained"] == figures["participation"] == MARK
    overall = _rows(seen, "outcomes-overall")["all"]
    assert overall[5:] == (MARK,) * 5
    assert _rows(raw, "outcomes-overall")["all"][5] == 3


def test_an_la_officers_page_is_untouched_when_nothing_is_small():
    big = _facts(9, "a", 1)
    raw = reference.overview(big, big, {}, set(), date(2026, 10, 1), PERIOD)
    raw.figures = [f for f in raw.figures if f[0] == "in-ap"]
    seen = suppression.page(raw)
    assert seen.figures == raw.figures and seen.tables == raw.tables and seen.notes == raw.notes
