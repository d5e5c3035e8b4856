"""Small-number suppression: counts under 5 are null for analysts and auditors, and the answer
says which; totals never give a lone suppressed cell away."""

from ap_reporting.disclosure import for_role


def test_la_officers_see_every_figure():
    answer = {"total": 3, "by_status": {"placed": 3}, "by_tier": {"2": 3}}
    assert for_role("la_officer", "caseload", answer) == {
        **answer, "suppressed": False, "suppressed_fields": [],
    }  # fmt: skip


def test_caseload_small_cells_and_the_next_smallest_beside_a_total():
    answer = {"as_of": "t", "total": 20, "by_status": {"placed": 12, "accepted": 6, "referred": 2},
              "by_tier": {"1": 10, "2": 10}}  # fmt: skip
    shaped = for_role("analyst", "caseload", answer)
    assert shaped["total"] == 20
    assert shaped["by_status"] == {"placed": 12, "accepted": None, "referred": None}
    assert shaped["by_tier"] == {"1": 10, "2": 10}
    assert shaped["suppressed"] is True
    assert shaped["suppressed_fields"] == ["by_status.accepted", "by_status.referred"]


def test_a_small_total_hides_everything():
    answer = {"as_of": "t", "total": 4, "by_status": {"placed": 4}, "by_tier": {"2": 4}}
    shaped = for_role("auditor", "caseload", answer)
    assert (shaped["total"], shaped["by_status"], shaped["by_tier"]) == (
        None, {"placed": None}, {"2": None},
    )  # fmt: skip


def test_nothing_small_nothing_suppressed():
    answer = {"as_of": "t", "total": 10, "by_status": {"placed": 5, "accepted": 5},
              "by_tier": {"2": 10}}  # fmt: skip
    shaped = for_role("analyst", "caseload", answer)
    assert shaped == {**answer, "suppressed": False, "suppressed_fields": []}


def test_a_cost_row_for_few_pupils_is_suppressed_whole():
    answer = {"from": "a", "to": "b", "by": "tier", "rows": [
        {"key": "1", "placements": 7, "pupils": 6, "cost_pence": 100},
        {"key": "2", "placements": 5, "pupils": 4, "cost_pence": 50},
    ]}  # fmt: skip
    shaped = for_role("analyst", "costs", answer)
    assert shaped["rows"][0] == answer["rows"][0]
    assert shaped["rows"][1] == {"key": "2", "placements": None, "pupils": None,
                                 "cost_pence": None, "suppressed": True}  # fmt: skip
    assert shaped["suppressed"] is True


def test_outcomes_reintegrations_destinations_and_rates():
    answer = {
        "reintegration": {"count": 9, "sustained": 6},  # 3 not sustained: sustained hidden
        "attendance": {"possible_sessions": 40, "attended_sessions": 30, "rate": 0.75},
        "destinations": {"education_training": 2, "neet": 1, "not_known": 0,
                         "participation_rate": 0.6667},
    }  # fmt: skip
    shaped = for_role("analyst", "outcomes", answer)
    assert shaped["reintegration"] == {"count": 9, "sustained": None}
    assert shaped["attendance"] == answer["attendance"]
    assert shaped["destinations"] == {"education_training": None, "neet": None,
                                      "not_known": None, "participation_rate": None}  # fmt: skip
    assert "destinations.participation_rate" in shaped["suppressed_fields"]
    big = {
        "reintegration": {"count": 12, "sustained": 6},
        "destinations": {"education_training": 8, "neet": 5, "participation_rate": 0.6},
    }
    shaped = for_role("auditor", "outcomes", big)
    assert shaped["reintegration"] == big["reintegration"]
    assert shaped["destinations"] == big["destinations"] and shaped["suppressed"] is False
