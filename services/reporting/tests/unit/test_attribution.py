"""The attribution rule as a pure function: which placement an outcome counts for."""

from datetime import date

from ap_reporting.attribution import attributed_placement
from ap_reporting.placement_facts import PlacementFact


def fact(pid: str, start: str, provider: str = "prov") -> PlacementFact:
    return PlacementFact(pid, "pupil", provider, "local_authority", 2,
                         date.fromisoformat(start), None, 100)  # fmt: skip


FACTS = [fact("p1", "2026-09-01", "a"), fact("p2", "2026-11-01", "b"), fact("p3", "2026-11-01")]


def test_the_named_placement_wins_even_when_a_later_one_has_started():
    got = attributed_placement("p1", FACTS, date(2026, 12, 1))
    assert got is not None and got.provider_id == "a"


def test_otherwise_the_latest_started_on_or_before_the_day_with_the_greater_id_on_a_tie():
    assert attributed_placement(None, FACTS, date(2026, 10, 31)) == FACTS[0]
    assert attributed_placement(None, FACTS, date(2026, 11, 1)) == FACTS[2]
    assert attributed_placement("unknown-id", FACTS, date(2026, 11, 2)) == FACTS[2]


def test_a_placement_that_starts_after_the_outcome_never_claims_it():
    assert attributed_placement(None, FACTS, date(2026, 8, 31)) is None
    assert attributed_placement(None, [], date(2026, 8, 31)) is None


def test_a_review_is_on_time_within_the_interval_and_by_the_date_the_last_one_set():
    from ap_reporting.outcome_facts import on_time_flags
    from ap_reporting.policy import policy

    start = date(2026, 9, 1)
    held = [
        (date(2026, 11, 10), date(2026, 12, 1)),  # 70 days after the start: on time
        (date(2026, 12, 2), None),  # after the date the last review set: late
        (date(2027, 2, 11), None),  # 71 days after the last: late
        (date(2027, 3, 1), None),
    ]
    assert on_time_flags(start, held, policy()) == [True, False, False, True]
