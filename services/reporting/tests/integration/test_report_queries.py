"""The reports computed in SQL (report_queries.py) against the pure Python computation they
replace, on a generated cohort with awkward cases: pence that do not divide evenly, costs not
known, pupils with several placements, schools' and providers' scoping, reintegrations checked
more than once, destinations re-grouped by code and sustained or not. Real PostgreSQL."""

import json
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import reporting_reference as reference
from ap_chassis.db import create_pool, ensure_database, migrate
from ap_reporting import (
    placement_facts,
    projection,
    report_queries,
    reports,
    repository,
    sufficiency,
)
from ap_reporting.app import MIGRATIONS
from ap_reporting.clocks import from_rows
from ap_reporting.generations import READ_MODEL_MIGRATIONS
from ap_reporting.outcome_facts import outcome_facts_of
from ap_reporting.placement_facts import PlacementFact
from ap_reporting.policy import policy
from ap_reporting.projection import JourneyEvent, TypedEvent
from ap_reporting.provider_repository import JOURNEY_TYPES
from ap_reporting.ui import pages
from ap_schemas.calendar import default_calendar
from ap_schemas.events import BY_TYPE

FIRST = date(2026, 1, 1)
SCHOOLS = ["100001", "100002", "100003"]
PROVIDERS = ["prov-a", "prov-b", "prov-c", "prov-d"]
CODES = (210, 220, 310, 320, 330, 340, 260, 540, 810, 710, 720, 130, 999)
PERIODS = [
    (date(2026, 9, 1), date(2027, 8, 31)),
    (date(2026, 10, 3), date(2026, 10, 3)),
    (date(2027, 2, 1), date(2027, 3, 31)),
    (date(2025, 1, 1), date(2028, 12, 31)),
]


def ev(type_: str, on: date, **data: Any) -> JourneyEvent:
    return JourneyEvent(uuid.uuid4(), f"journey.{type_}", on, data)


def notice(commissioner: dict[str, Any], placement: str, start: date) -> dict[str, Any]:
    """School-arranged placements give notice 0 to 5 days before the start (some late, some not,
    weekends between), without drawing from the cohort's random stream."""
    if commissioner["kind"] != "school":
        return {}
    return {"notice_given_on": (start - timedelta(days=int(placement[:2], 16) % 6)).isoformat()}


def journey(rng: random.Random, pupil: str) -> list[JourneyEvent]:
    school = rng.choice(SCHOOLS)
    day = FIRST + timedelta(days=rng.randint(0, 500))
    referral = str(uuid.uuid4())
    excluded = rng.random() < 0.3
    out = [ev("pupil.referred.v1", day, pupil_id=pupil, referral_id=referral,
              home_school_urn=school, referrer={"kind": "school", "urn": school},
              referred_on=day.isoformat(), tier_requested=rng.choice([1, 2, 3]),
              reason="permanent_exclusion" if excluded else "suspension",
              excluded_on=(day - timedelta(days=rng.randint(0, 9))).isoformat()
              if excluded else None)]  # fmt: skip
    if rng.random() < 0.8:
        decided = day + timedelta(days=rng.randint(0, 20))
        out.append(ev("referral.decided.v1", decided, pupil_id=pupil, referral_id=referral,
                      decided_on=decided.isoformat(),
                      decision=rng.choice(["accepted", "accepted", "declined"])))  # fmt: skip
    if rng.random() < 0.1:
        out.append(ev("referral.withdrawn.v1", day + timedelta(days=3), pupil_id=pupil,
                      referral_id=referral))  # fmt: skip
    for _ in range(rng.choice([0, 1, 1, 2, 3])):  # several placements, some overlapping
        placement = str(uuid.uuid4())
        start = day + timedelta(days=rng.randint(0, 60))
        unknown = rng.random() < 0.15
        commissioner = {"kind": "school", "urn": rng.choice(SCHOOLS)} if rng.random() < 0.5 else {
            "kind": "local_authority", "urn": None}  # fmt: skip
        out.append(ev(
            f"pupil.placed.v{2 if unknown else 1}", start, pupil_id=pupil, placement_id=placement,
            referral_id=referral, provider_id=rng.choice(PROVIDERS), commissioner=commissioner,
            tier=rng.choice([1, 2, 3]), start_date=start.isoformat(),
            sessions_per_week=rng.choice([0, 3, 10, None]), dual_registered=rng.random() < 0.5,
            annual_cost_pence=None if unknown else rng.choice([1, 7, 364, 365, 1001, 2_028_000])
            + rng.randint(0, 1000), **notice(commissioner, placement, start),
        ))  # fmt: skip
        review = start
        for _ in range(rng.randint(0, 3)):
            review += timedelta(days=rng.randint(20, 80))
            possible = rng.randint(0, 40)
            out.append(ev("placement.reviewed.v1", review, pupil_id=pupil, placement_id=placement,
                          attendance={"possible_sessions": possible,
                                      "attended_sessions": rng.randint(0, possible)}))  # fmt: skip
        if rng.random() < 0.6:
            end = start + timedelta(days=rng.randint(0, 300))
            out.append(ev("placement.ended.v1", end, pupil_id=pupil, placement_id=placement,
                          end_date=end.isoformat(), reason="reintegrated"))  # fmt: skip
            if rng.random() < 0.7:
                rid = str(uuid.uuid4())
                named = {"placement_id": placement} if rng.random() < 0.7 else {}
                out.append(ev("pupil.reintegrated.v1", end, pupil_id=pupil, reintegration_id=rid,
                              school_urn=school, **named))  # fmt: skip
                for _ in range(rng.choice([0, 1, 2, 2])):  # the latest check counts
                    out.append(ev("reintegration.sustainment_checked.v1",
                                  end + timedelta(days=rng.randint(30, 200)), pupil_id=pupil,
                                  reintegration_id=rid, sustained=rng.random() < 0.6))  # fmt: skip
        day = start
    on = FIRST + timedelta(days=rng.randint(200, 800))
    for _ in range(rng.choice([0, 0, 1, 2, 3, 4])):
        out.append(ev("destination.confirmed.v1", on, pupil_id=pupil,
                      activity_code=rng.choice(CODES), group="as recorded"))  # fmt: skip
        on += timedelta(days=rng.choice([0, 30, 150, 151, 160, 200, 400]))
    return out


# The fields the outcome events' models require that the cohort leaves out (it writes only what
# the reports read), so the projection's own outcome_facts_of can type them.
OUTCOME_DEFAULTS: dict[str, Any] = {
    "journey.placement.reviewed.v1": lambda e: {
        "review_id": str(uuid.uuid4()), "reviewed_on": e.occurred_at.isoformat(),
        "progress": "expected", "outcome": "continue",
    },
    "journey.pupil.reintegrated.v1": lambda e: {
        "reintegrated_on": e.occurred_at.isoformat(), "mode": "full_time",
    },
    "journey.reintegration.sustainment_checked.v1": lambda e: {
        "checked_on": e.occurred_at.isoformat(),
    },
    "journey.destination.confirmed.v1": lambda e: {
        "destination_id": str(uuid.uuid4()), "confirmed_on": e.occurred_at.isoformat(),
    },
}  # fmt: skip


def typed_outcome(e: JourneyEvent) -> TypedEvent:
    data = {**OUTCOME_DEFAULTS[e.type](e), **e.data, "occurred_at": e.occurred_at.isoformat()}
    return TypedEvent(e.event_id, BY_TYPE[e.type].model.model_validate(data))


@pytest.fixture(scope="module")
async def cohort(infra: Any) -> AsyncIterator[tuple[Any, list[JourneyEvent], list[PlacementFact]]]:
    rng = random.Random(8)
    dsn = await ensure_database(infra.database_url, f"ap_report_queries_{uuid.uuid4().hex[:12]}")
    pool = await create_pool(dsn, max_size=2)
    await migrate(pool, [MIGRATIONS, READ_MODEL_MIGRATIONS])  # read models in public here
    events: list[JourneyEvent] = []
    facts: list[PlacementFact] = []
    stamp = datetime.now(UTC)
    async with pool.acquire() as conn:
        for _ in range(400):
            pupil = uuid.uuid4()
            evs = journey(rng, str(pupil))
            events += evs
            facts += placement_facts.placements_of(evs, str(pupil))
            for e in evs:
                await repository.insert_event(conn, event_id=e.event_id, pupil_id=pupil,
                    type_=e.type, occurred_at=e.occurred_at, recorded_at=stamp, source="test",
                    data=json.loads(json.dumps(e.data)))  # fmt: skip
            if rng.random() < 0.8:  # the rest have no date of birth here: phase unknown
                born = date(2008, 1, 1) + timedelta(days=rng.randint(0, 9 * 365))
                details = {"date_of_birth": born.isoformat()}
                await repository.upsert_identity(conn, pupil, details, stamp)
            await repository.lock_pupil(conn, pupil)
            await repository.save_state(conn, pupil, projection.project(evs))
            await repository.replace_placement_facts(
                conn, pupil, placement_facts.placements_of(evs, str(pupil))
            )
            await repository.replace_outcome_facts_of(conn, [pupil], outcome_facts_of(
                [typed_outcome(e) for e in evs if e.type in OUTCOME_DEFAULTS],
                placement_facts.placements_of(evs, str(pupil)), policy(),
            ))  # fmt: skip
    try:
        yield pool, events, facts
    finally:
        await pool.close()


def in_scope(f: PlacementFact, scope: report_queries.FactScope) -> bool:
    """The Python rule a FactScope stands for (ui.routes._scope and pages.Filters.keeps)."""
    keeps = pages.Filters(FIRST, FIRST, scope.tier, scope.commissioner, scope.provider,
                          scope.school or scope.own_school).keeps(f)  # fmt: skip
    spend = scope.own_spend is None or f.commissioner == f"school:{scope.own_spend}"
    mine = scope.own_provider is None or f.provider_id == scope.own_provider
    return keeps and spend and mine


SCOPES = [
    report_queries.FactScope(),
    report_queries.FactScope(own_spend="100002"),
    report_queries.FactScope(own_school="100001", tier=2),
    report_queries.FactScope(own_provider="prov-b", commissioner="local_authority"),
    report_queries.FactScope(school="100003", provider="prov-a"),
]


@pytest.mark.parametrize("by", ["commissioner", "provider", "tier"])
async def test_cost_rows_in_sql_equal_the_fraction_rule(cohort, by):
    pool, _, facts = cohort
    assert any(f.annual_cost_pence is None for f in facts)
    assert any(f.annual_cost_pence and f.annual_cost_pence % 365 for f in facts)
    async with pool.acquire() as conn:
        for start, end in PERIODS:
            for scope in SCOPES:
                kept = [f for f in facts if in_scope(f, scope)]
                expected = reference.cost_rows(kept, start, end, by)
                assert await report_queries.cost_rows(conn, start, end, by, scope) == expected
    assert expected and any(r["placements_cost_unknown"] for r in expected)


async def test_money_figures_in_sql_equal_the_pages_arithmetic(cohort):
    pool, _, facts = cohort
    async with pool.acquire() as conn:
        for start, end in PERIODS:
            for scope in SCOPES:
                kept = [f for f in facts if in_scope(f, scope)]
                expected = reference.money_figures(kept, pages.Filters(start, end))
                got = await report_queries.money_figures(
                    conn, start, end, pages.months(start, end), scope
                )
                assert got == expected
    assert expected.monthly and any(cost % 100 for _, cost, _ in expected.monthly)


PROVIDER_DETAILS = {"prov-a": {"registered": False}, "prov-b": {"registered": True}, "prov-c": {}}


@pytest.mark.parametrize("today", [date(2026, 3, 2), date(2026, 11, 15), date(2027, 6, 30)])
async def test_overview_figures_in_sql_equal_the_pages_arithmetic(cohort, today):
    pool, events, facts = cohort
    dual = {e.data["placement_id"] for e in events
            if e.type == "journey.pupil.placed.v1" and e.data.get("dual_registered")}  # fmt: skip
    unregistered = pages.unregistered_providers(PROVIDER_DETAILS)
    async with pool.acquire() as conn:
        for start, end in PERIODS[:3]:
            filters = pages.Filters(start, end)
            for scope in SCOPES:
                wide = (min(start, today), max(end, today))
                period = [f for f in facts if in_scope(f, scope) and reports.days_inside(f, *wide)]
                now = [f for f in period if reports.days_inside(f, today, today)]
                expected = reference.overview_figures(
                    now, period, PROVIDER_DETAILS, dual, today, filters
                )
                got = await report_queries.overview_figures(
                    conn, today, start, end, pages.weeks(start, end), unregistered, scope
                )
                assert got == expected
    assert expected.pupils and expected.dual and expected.part_time and expected.unregistered


async def test_outcomes_summary_in_sql_equals_the_python_summary(cohort):
    pool, _, _ = cohort
    async with pool.acquire() as conn:
        for start, end in PERIODS:
            expected = reference.outcomes_summary(
                await repository.outcome_events(conn, start, end), start, end
            )
            assert await report_queries.outcomes_summary(conn, start, end) == expected
    # the cohort exercises what the rules turn on
    assert expected["reintegration"]["sustained"] > 0
    assert expected["destinations"]["sustained"]["education_training"] > 0
    assert expected["destinations"]["unrecognised"] > 0


@pytest.mark.parametrize("narrow", [None, report_queries.FactScope(tier=3),
                                    report_queries.FactScope(provider="prov-c")])  # fmt: skip
async def test_outcome_splits_in_sql_equal_the_pages_attribution(cohort, narrow):
    pool, _, facts = cohort
    async with pool.acquire() as conn:
        for start, end in PERIODS:
            events = await repository.outcome_events(conn, start, end)
            pupils = {str(e.data["pupil_id"]) for e in events}
            mine = [f for f in facts if f.pupil_id in pupils]
            if narrow is not None:
                kept = {f.pupil_id for f in mine if in_scope(f, narrow)}
                events = [e for e in events if str(e.data.get("pupil_id")) in kept]
            got = await report_queries.outcome_splits(conn, start, end, narrow)
            assert got == reference.outcome_splits(events, mine, pages.Filters(start, end))
    assert got.by_provider and got.by_tier


def clocks_in_python(events, facts, today, pupils=None, own_provider=None, narrow=None):
    """What the action list computed before: `all_clocks` over the clock facts in scope (open
    placements, and every placement of a pupil who was permanently excluded)."""
    excluded = {e.data["pupil_id"] for e in events if e.data.get("reason") == "permanent_exclusion"}
    by_pupil: dict[str, list[JourneyEvent]] = {}
    for e in events:
        if pupils is None or e.data["pupil_id"] in pupils:
            by_pupil.setdefault(e.data["pupil_id"], []).append(e)
    mine = [f for f in facts if (pupils is None or f.pupil_id in pupils)
            and (f.end_date is None or f.end_date >= today or f.pupil_id in excluded)
            and (own_provider is None or f.provider_id == own_provider)]  # fmt: skip
    if narrow is not None:
        kept = {f.pupil_id for f in mine if in_scope(f, narrow)}
        by_pupil = {p: e for p, e in by_pupil.items() if p in kept}
        mine = [f for f in mine if f.pupil_id in kept]
    facts_by: dict[str, list[PlacementFact]] = {}
    for f in mine:
        facts_by.setdefault(f.pupil_id, []).append(f)
    registered = {"prov-a": False, "prov-b": True}
    clocks = reference.all_clocks(by_pupil, facts_by, today=today, calendar=default_calendar(),
                        registered=registered)  # fmt: skip
    return sorted(
        clocks, key=lambda c: (c.since, c.kind, c.pupil_id, c.placement_id or "", c.detail)
    )


@pytest.mark.parametrize("today", [date(2026, 11, 15), date(2027, 3, 1), date(2027, 9, 30)])
async def test_the_action_list_in_sql_equals_the_clocks_in_python(cohort, today):
    pool, events, facts = cohort
    calendar = default_calendar()
    half_term = calendar.last_complete_half_term(today)
    school = {e.data["pupil_id"] for e in events if e.data.get("home_school_urn") == "100001"}
    narrow = report_queries.FactScope(tier=2)
    kinds: set[str] = set()
    async with pool.acquire() as conn:
        for pupils, own_provider, narrowed in (
            (None, None, None), (school, None, None), (None, "prov-c", None),
            (None, None, narrow), (school, None, narrow),
        ):  # fmt: skip
            rows = await report_queries.clock_rows(
                conn, today, half_term, ["prov-a"],
                None if pupils is None else [uuid.UUID(p) for p in pupils], own_provider, narrowed,
            )  # fmt: skip
            got = from_rows(rows, today=today, calendar=calendar)
            expected = clocks_in_python(events, facts, today, pupils, own_provider, narrowed)
            assert got == expected
            kinds |= {c.kind for c in got}
            kinds |= {"half term" for c in got if c.detail.startswith("no review")}
    assert kinds >= {"review", "part_time", "sixth_day", "unregistered", "sustainment",
                     "late_notice"}  # fmt: skip
    assert "half term" in kinds or half_term is None


async def test_sufficiency_counts_in_sql_equal_the_python_demand(cohort):
    pool, events, _ = cohort
    by_pupil: dict[str, list[JourneyEvent]] = {}
    for e in sorted(events, key=lambda e: e.order):
        if e.type in JOURNEY_TYPES:
            by_pupil.setdefault(e.data["pupil_id"], []).append(e)
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT pupil_id, details FROM pupil_identity")
        births = {str(r["pupil_id"]): date.fromisoformat(r["details"]["date_of_birth"])
                  for r in rows}  # fmt: skip
        for start, end in PERIODS:
            expected = reference.demand(by_pupil, births, start, end)
            got = await report_queries.sufficiency_counts(conn, start, end)
            assert got.referrals == expected.referrals
            assert {k: sorted(v) for k, v in got.to_decision.items() if v} == {
                k: sorted(v) for k, v in expected.to_decision.items() if v
            }
            assert {k: sorted(v) for k, v in got.to_start.items() if v} == {
                k: sorted(v) for k, v in expected.to_start.items() if v
            }
            assert (got.waiting, got.waiting_pupils) == (expected.waiting, expected.waiting_pupils)
            assert (got.monthly, got.used) == (expected.monthly, expected.used)
            assert await report_queries.places_used(conn, end, "prov-a") == {
                k: n for k, n in expected.used.items() if k[0] == "prov-a"
            }
            assert sufficiency.answer(got, {}, start, end) == sufficiency.answer(
                expected, {}, start, end
            )
    assert expected.waiting and expected.used and {p for _, p in expected.referrals} > {"unknown"}
