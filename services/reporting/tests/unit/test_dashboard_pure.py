"""The legal clocks, the page builders, charts and exports of the dashboard (pure)."""

import csv
import io
import uuid
from datetime import date, timedelta

import openpyxl
import reporting_reference as reference
from ap_reporting import reports
from ap_reporting.event_types import PLACED
from ap_reporting.placement_facts import PlacementFact, placements_of
from ap_reporting.policy import policy
from ap_reporting.projection import JourneyEvent
from ap_reporting.ui import charts, pages
from ap_reporting.ui.tables import Table, to_csv, to_xlsx
from ap_schemas.calendar import load

CAL = load()
LIMITS = policy()
PUPIL = "p1"


def ev(type_: str, on: date, **data) -> JourneyEvent:
    return JourneyEvent(uuid.uuid4(), f"journey.{type_}.v1", on, {"pupil_id": PUPIL, **data})


def fact(
    start: date,
    end: date | None = None,
    sessions: int = 10,
    provider: str = "prov",
    tier: int = 2,
    commissioner: str = "local_authority",
) -> PlacementFact:
    return PlacementFact(
        "pl1",
        PUPIL,
        provider,
        commissioner,
        tier,
        start,
        end,
        3_650_000,
        sessions_per_week=sessions,
    )


def kinds(events, facts, today, registered=None) -> list[str]:
    return sorted(
        c.kind
        for c in reference.pupil_clocks(
            PUPIL,
            events,
            facts,
            today=today,
            calendar=CAL,
            registered=registered or {},
            limits=LIMITS,
        )
    )


def excluded(on: date) -> JourneyEvent:
    return ev(
        "pupil.referred",
        on,
        referral_id="r1",
        reason="permanent_exclusion",
        excluded_on=on.isoformat(),
    )


def test_sixth_day_runs_out_in_school_days_and_stops_with_a_placement():
    # excluded Fri 23 Oct 2026 (half term follows): the sixth school day is Mon 9 Nov
    referral = [excluded(date(2026, 10, 23))]
    assert kinds(referral, [], date(2026, 11, 9)) == []
    assert kinds(referral, [], date(2026, 11, 10)) == ["sixth_day"]
    assert kinds(referral, [fact(date(2026, 11, 10))], date(2026, 11, 10)) == []
    withdrawn = ev("referral.withdrawn", date(2026, 10, 26), referral_id="r1", reason="moved")
    assert kinds([*referral, withdrawn], [], date(2026, 11, 20)) == []


def test_review_clock_last_half_term_or_ten_weeks():
    placement = fact(date(2026, 9, 7))
    # within the first ten weeks and no half term complete since it began: no clock
    assert kinds([], [placement], date(2026, 10, 20)) == []
    # autumn 1 (2 Sep - 23 Oct) complete but began before the placement: ten weeks decide
    assert kinds([], [placement], date(2026, 11, 17)) == ["review"]
    reviewed = ev("placement.reviewed", date(2026, 11, 10), placement_id="pl1")
    assert kinds([reviewed], [placement], date(2026, 11, 17)) == []
    # an older placement with no review during the last complete half term
    old = fact(date(2026, 6, 1))
    in_autumn = ev("placement.reviewed", date(2026, 10, 1), placement_id="pl1")
    assert kinds([in_autumn], [old], date(2026, 11, 5)) == []
    before = ev("placement.reviewed", date(2026, 8, 28), placement_id="pl1")
    assert kinds([before], [old], date(2026, 11, 5)) == ["review"]


def test_part_time_unregistered_and_sustainment_clocks():
    reviewed = ev("placement.reviewed", date(2026, 10, 20), placement_id="pl1")
    part_time = fact(date(2026, 9, 14), sessions=6)
    assert kinds([reviewed], [part_time], date(2026, 10, 26)) == []
    assert kinds([reviewed], [part_time], date(2026, 10, 27)) == ["part_time"]
    assert kinds(
        [reviewed], [fact(date(2026, 9, 14))], date(2026, 11, 1), registered={"prov": False}
    ) == ["unregistered"]
    back = ev("pupil.reintegrated", date(2026, 9, 1), reintegration_id="ri", school_urn="123456")
    assert kinds([back], [], date(2026, 11, 24)) == []
    assert kinds([back], [], date(2026, 11, 25)) == ["sustainment"]
    check = ev(
        "reintegration.sustainment_checked",
        date(2026, 11, 20),
        reintegration_id="ri",
        sustained=True,
    )
    assert kinds([back, check], [], date(2026, 12, 25)) == []
    ended = fact(date(2026, 6, 1), end=date(2026, 7, 1), sessions=5)
    assert kinds([], [ended], date(2026, 11, 1), registered={"prov": False}) == []


def test_money_page_uses_the_cost_rule_and_months_add_up():
    facts = [
        fact(date(2026, 9, 1)),
        PlacementFact(
            "pl2",
            "p2",
            "other",
            "school:123456",
            3,
            date(2026, 10, 15),
            date(2026, 11, 10),
            730_000,
        ),
    ]
    filters = pages.Filters(date(2026, 9, 1), date(2026, 11, 30))
    page = reference.money(facts, {"prov": {"name": "Brookside"}}, filters)
    tables = {t.id: t for t in page.tables}
    expected = reference.cost_rows(facts, filters.start, filters.end, "commissioner")
    assert [(r[1], r[4]) for r in tables["cost-by-commissioner"].rows] == [
        (r["key"], r["cost_pence"]) for r in expected
    ]
    assert [r[0] for r in tables["cost-by-provider"].rows] == ["other", "Brookside"]  # by key
    assert tables["school-spend"].rows[0][1] == "school:123456"
    monthly = tables["monthly-spend"].rows
    assert [m[0] for m in monthly] == ["2026-09", "2026-10", "2026-11"]
    # months are rounded separately, so they agree with the period to within a penny each
    assert abs(sum(m[1] for m in monthly) - sum(r["cost_pence"] for r in expected)) <= 3


def test_outcomes_split_by_provider_through_the_report_function():
    facts = [
        fact(date(2026, 9, 1), provider="a"),
        PlacementFact("pl2", "p2", "b", "local_authority", 1, date(2026, 9, 1), None, 1),
    ]
    events = [
        ev(
            "placement.reviewed",
            date(2026, 10, 1),
            placement_id="pl1",
            attendance={"possible_sessions": 10, "attended_sessions": 5},
        ),
        ev(
            "placement.reviewed",
            date(2026, 10, 1),
            placement_id="pl2",
            attendance={"possible_sessions": 10, "attended_sessions": 10},
        ),
    ]
    page = reference.outcomes(events, facts, {}, pages.Filters(date(2026, 9, 1), date(2026, 12, 1)))
    rows = {t.id: t.rows for t in page.tables}
    assert rows["outcomes-overall"][0][2:5] == (20, 15, "75.0%")
    assert [(r[1], r[4]) for r in rows["outcomes-by-provider"]] == [("a", "50.0%"), ("b", "100.0%")]
    assert [r[1] for r in rows["outcomes-by-tier"]] == ["1", "2"]


def test_exports_keep_pence_exact_and_refuse_formulas():
    table = Table(
        "t",
        "T",
        ("Name", "Cost (£)"),
        [("=HYPERLINK(1)", 123456), ("b", None)],
        money=frozenset({1}),
    )
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert rows == [["Name", "Cost (£)"], ["'=HYPERLINK(1)", "1234.56"], ["b", ""]]
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx([table])))["t"]
    assert [c.value for c in sheet[2]] == ["'=HYPERLINK(1)", 1234.56]


def test_column_chart_scales_and_labels():
    svg = charts.columns("c", "Pupils <each> week", [("a", 3), ("b", 13)])
    assert svg.count("<rect") == 2 and "Pupils &lt;each&gt; week" in svg
    assert ">20</text>" in svg  # 13 rounds up to an axis of 0, 5, 10, 15, 20
    assert pages.months(date(2026, 1, 15), date(2026, 3, 2)) == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 2)),
    ]


def test_weekly_caseload_counts_each_pupil_once_a_week_like_the_naive_count():
    import random

    rng = random.Random(11)
    facts = []
    for i in range(300):
        start = date(2026, 1, 1) + timedelta(days=rng.randint(0, 300))
        end = None if rng.random() < 0.3 else start + timedelta(days=rng.randint(0, 90))
        facts.append(PlacementFact(f"pl{i}", f"p{rng.randint(0, 120)}", "x", "local_authority",
                                   2, start, end, 1))  # fmt: skip
    spans = pages.weeks(date(2026, 2, 4), date(2026, 9, 30))
    naive = [(mon, len({f.pupil_id for f in facts if reports.days_inside(f, mon, sun)}))
             for mon, sun in spans]  # fmt: skip
    assert reference.weekly_caseload(facts, spans) == naive
    assert max(n for _, n in naive) > 10


async def test_page_cache_rebuilds_when_the_read_model_moves_on():
    from ap_reporting.ui.cache import PageCache

    built: list[str] = []

    async def build() -> pages.Page:
        built.append("x")
        return pages.Page(f"page {len(built)}")

    cache = PageCache(size=2)
    assert (await cache.get("a", (1,), build)).title == "page 1"
    assert (await cache.get("a", (1,), build)).title == "page 1"  # same version: kept
    assert (await cache.get("a", (2,), build)).title == "page 2"  # an event arrived
    await cache.get("b", (2,), build)
    await cache.get("c", (2,), build)  # evicts "a", the least recently used
    assert (await cache.get("a", (2,), build)).title == "page 5"
    assert (cache.hits, cache.misses) == (1, 5)


def placed_with_notice(start: date, notice: date | None) -> PlacementFact:
    """The placement fact the projection decides for a school-arranged placement."""
    data = {
        "pupil_id": PUPIL, "placement_id": "pl1", "referral_id": "r1", "provider_id": "prov",
        "commissioner": {"kind": "school", "urn": "121299"}, "tier": 2,
        "start_date": start.isoformat(),
        **({"notice_given_on": notice.isoformat()} if notice else {}),
    }  # fmt: skip
    [fact_] = placements_of([JourneyEvent(uuid.uuid4(), PLACED, start, data)], PUPIL)
    return fact_


def test_notice_two_school_days_before_the_start_is_in_time_and_less_is_flagged():
    wednesday = date(2026, 9, 16)
    in_time = placed_with_notice(wednesday, date(2026, 9, 14))  # Monday: two school days before
    late = placed_with_notice(wednesday, date(2026, 9, 15))
    after = placed_with_notice(wednesday, date(2026, 9, 17))  # given after the start
    none = placed_with_notice(wednesday, None)
    assert (in_time.notice_late, late.notice_late, after.notice_late) == (False, True, True)
    assert (none.notice_late, none.notice_given_on) == (False, None)
    today = date(2026, 9, 21)
    assert kinds([], [late], today) == ["late_notice"]
    assert kinds([], [in_time], today) == []
    ended = placed_with_notice(wednesday, date(2026, 9, 15))
    closed = PlacementFact(**{**ended.__dict__, "end_date": date(2026, 9, 18)})
    assert kinds([], [closed], today) == []  # only open placements are on the action list
