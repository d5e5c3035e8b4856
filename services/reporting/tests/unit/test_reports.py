"""The cost rule and the outcomes summary, with worked figures. Pure."""

from datetime import date
from uuid import uuid4

from ap_reporting.placement_facts import PlacementFact, placements_of
from ap_reporting.projection import JourneyEvent
from ap_reporting.reports import cost_in_period, days_inside
from reporting_reference import cost_rows, outcomes_summary

ANNUAL = 6500 * 8 * 39  # 8 sessions a week at £65 a session: 2,028,000 pence a year


def fact(start, end=None, *, annual=ANNUAL, commissioner="local_authority", tier=2, pupil="p1",
         provider="v1") -> PlacementFact:  # fmt: skip
    return PlacementFact(str(uuid4()), pupil, provider, commissioner, tier, start, end, annual)


def test_a_whole_year_costs_the_annual_cost():
    assert cost_in_period(fact(date(2026, 1, 1)), date(2026, 1, 1), date(2026, 12, 31)) == ANNUAL


def test_days_inside_count_both_ends_and_clip_to_the_period():
    f = fact(date(2026, 9, 14), date(2027, 3, 31))
    assert days_inside(f, date(2026, 9, 1), date(2027, 8, 31)) == 199
    assert days_inside(f, date(2026, 9, 14), date(2026, 9, 14)) == 1
    assert days_inside(f, date(2027, 4, 1), date(2027, 8, 31)) == 0


def test_part_year_cost_rounds_to_the_nearest_penny_at_the_end():
    f = fact(date(2026, 9, 14), date(2027, 3, 31))
    # 2,028,000 x 199 / 365 = 1,105,676.71 -> 1,105,677
    assert cost_in_period(f, date(2026, 9, 1), date(2027, 8, 31)) == 1_105_677
    # 2,028,000 x 17 / 365 = 94,454.79 -> 94,455 (14 to 30 September)
    assert cost_in_period(f, date(2026, 9, 1), date(2026, 9, 30)) == 94_455
    # 1,000 x 3 / 365 = 8.22 -> 8
    assert (
        cost_in_period(fact(date(2026, 1, 1), annual=1000), date(2026, 1, 1), date(2026, 1, 3)) == 8
    )


def test_an_open_placement_runs_to_the_end_of_the_period():
    f = fact(date(2026, 12, 1))
    assert cost_in_period(f, date(2026, 12, 1), date(2026, 12, 31)) == round(ANNUAL * 31 / 365)


def test_rows_group_and_count_only_placements_inside_the_period():
    facts = [
        fact(date(2026, 9, 1), date(2026, 9, 30), pupil="a"),
        fact(date(2026, 9, 1), pupil="a", commissioner="school:123456", tier=3),
        fact(date(2026, 9, 1), pupil="b", commissioner="school:123456", tier=3),
        fact(date(2025, 1, 1), date(2025, 12, 31), pupil="c"),  # outside
    ]
    rows = cost_rows(facts, date(2026, 9, 1), date(2026, 9, 30), "commissioner")
    september = round(ANNUAL * 30 / 365)
    assert rows == [
        {"key": "local_authority", "placements": 1, "pupils": 1, "cost_pence": september,
         "placements_cost_unknown": 0},
        {"key": "school:123456", "placements": 2, "pupils": 2, "cost_pence": 2 * september,
         "placements_cost_unknown": 0},
    ]  # fmt: skip
    by_tier = cost_rows(facts, date(2026, 9, 1), date(2026, 9, 30), "tier")
    assert [(r["key"], r["placements"]) for r in by_tier] == [("2", 1), ("3", 2)]


def test_placements_are_read_from_their_events_in_any_order():
    pid = str(uuid4())
    placed = JourneyEvent(uuid4(), "journey.pupil.placed.v1", date(2026, 9, 14), {
        "placement_id": pid, "provider_id": "v9",
        "commissioner": {"kind": "school", "urn": "123456"}, "tier": 3,
        "start_date": "2026-09-14", "annual_cost_pence": 1000,
    })  # fmt: skip
    ended = JourneyEvent(uuid4(), "journey.placement.ended.v1", date(2026, 12, 18),
                         {"placement_id": pid, "end_date": "2026-12-18"})  # fmt: skip
    (f,) = placements_of([ended, placed], "p1")
    assert (f.commissioner, f.tier, f.end_date) == ("school:123456", 3, date(2026, 12, 18))


def ev(type_, day, **data) -> JourneyEvent:
    return JourneyEvent(uuid4(), type_, day, data)


def test_outcomes_summary():
    r1, r2 = str(uuid4()), str(uuid4())
    events = [
        ev("journey.pupil.reintegrated.v1", date(2027, 1, 4), reintegration_id=r1),
        ev("journey.pupil.reintegrated.v1", date(2027, 2, 1), reintegration_id=r2),
        ev("journey.reintegration.sustainment_checked.v1", date(2027, 3, 1),
           reintegration_id=r1, sustained=False),
        ev("journey.reintegration.sustainment_checked.v1", date(2027, 7, 1),
           reintegration_id=r1, sustained=True),  # the latest check counts
        ev("journey.reintegration.sustainment_checked.v1", date(2027, 7, 1),
           reintegration_id=r2, sustained=False),
        ev("journey.placement.reviewed.v1", date(2027, 1, 10),
           attendance={"possible_sessions": 40, "attended_sessions": 30}),
        ev("journey.placement.reviewed.v1", date(2027, 2, 10),
           attendance={"possible_sessions": 40, "attended_sessions": 35}),
        ev("journey.destination.confirmed.v1", date(2027, 3, 1), pupil_id="a",
           activity_code=210, group="education_training"),
        ev("journey.destination.confirmed.v1", date(2027, 3, 2), pupil_id="b",
           activity_code=619, group="neet"),
        ev("journey.destination.confirmed.v1", date(2028, 3, 2), pupil_id="c",
           activity_code=619, group="neet"),  # outside
    ]  # fmt: skip
    summary = outcomes_summary(events, date(2027, 1, 1), date(2027, 6, 30))
    assert summary["reintegration"] == {"count": 2, "sustained": 1}
    assert summary["attendance"] == {
        "possible_sessions": 80,
        "attended_sessions": 65,
        "rate": 0.8125,
    }
    assert summary["destinations"] == {
        "education_training": 1,
        "employment": 0,
        "other_activity": 0,
        "neet": 1,
        "not_known": 0,
        "excluded": 0,
        "participation_rate": 0.5,
        "sustained": {"education_training": 0, "employment": 0},
        "unrecognised": 0,
        "other": 0,
    }


def test_a_placement_of_unknown_cost_is_counted_apart_never_as_free():
    period = (date(2026, 9, 1), date(2026, 9, 30))
    facts = [
        fact(date(2026, 9, 1), pupil="a", commissioner="school:123456"),
        fact(date(2026, 9, 1), pupil="b", commissioner="school:123456", annual=None),
        fact(date(2026, 9, 1), pupil="c", annual=None),
    ]
    rows = {r["key"]: r for r in cost_rows(facts, *period, "commissioner")}
    assert rows["school:123456"] == {
        "key": "school:123456", "placements": 2, "pupils": 2,
        "cost_pence": round(ANNUAL * 30 / 365), "placements_cost_unknown": 1,
    }  # fmt: skip
    assert rows["local_authority"]["cost_pence"] == 0
    assert rows["local_authority"]["placements_cost_unknown"] == 1


def test_placed_v2_without_a_cost_becomes_a_fact_of_unknown_cost():
    pid = str(uuid4())
    placed = JourneyEvent(uuid4(), "journey.pupil.placed.v2", date(2026, 9, 14), {
        "placement_id": pid, "provider_id": "v9",
        "commissioner": {"kind": "school", "urn": "123456"}, "tier": 2,
        "start_date": "2026-09-14", "cost": None, "annual_cost_pence": None,
    })  # fmt: skip
    (f,) = placements_of([placed], "p1")
    assert (f.commissioner, f.annual_cost_pence) == ("school:123456", None)
