"""Reference implementations of reporting's figures, in plain Python over events and
placement facts: the oracles the SQL reports (report_queries.py) and the page builders are
tested equal to on generated cohorts. They live with the tests because nothing in production
runs them: the routes and pages answer from SQL.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from ap_reporting.attribution import attributed_placement
from ap_reporting.clocks import Clock, part_time
from ap_reporting.destinations import confirmation, confirmations_by_pupil, is_sustained
from ap_reporting.event_types import (
    CHECKED,
    DECIDED,
    DESTINATION,
    PLACED,
    REFERRED,
    REINTEGRATED,
    REVIEWED,
    WITHDRAWN,
)
from ap_reporting.outcome_facts import OutcomeFact, outcome_facts_of
from ap_reporting.placement_facts import PlacementFact, placements_of
from ap_reporting.policy import Policy, policy
from ap_reporting.projection import JourneyEvent, PupilState, TypedEvent, project, untyped
from ap_reporting.provider_figures import phase_of
from ap_reporting.provider_view import ProviderView
from ap_reporting.report_queries import MoneyFigures, OutcomeSplits, OverviewFigures
from ap_reporting.reports import GroupBy, cost_in_period, days_inside
from ap_reporting.sufficiency import Demand, answer
from ap_reporting.ui.pages import (
    Filters,
    Page,
    known_total,
    money_page,
    months,
    outcomes_page,
    overview_page,
    weeks,
)
from ap_schemas.calendar import SchoolCalendar


def cost_rows(
    facts: Iterable[PlacementFact], start: date, end: date, by: GroupBy
) -> list[dict[str, Any]]:
    """Placements, pupils and cost within the period, grouped by commissioner, provider or tier.

    `placements_cost_unknown` counts the placements whose cost is not known: they are in
    `placements` but add nothing to `cost_pence`, which is therefore a lower bound for that row.
    """
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"placements": 0, "pupils": set(), "cost_pence": 0, "cost_unknown": 0}
    )
    for fact in facts:
        if days_inside(fact, start, end) == 0:
            continue
        key = {"commissioner": fact.commissioner, "provider": fact.provider_id,
               "tier": str(fact.tier)}[by]  # fmt: skip
        group = groups[key]
        group["placements"] += 1
        group["pupils"].add(fact.pupil_id)
        group["cost_pence"] += cost_in_period(fact, start, end)
        group["cost_unknown"] += fact.annual_cost_pence is None
    return [
        {"key": key, "placements": g["placements"], "pupils": len(g["pupils"]),
         "cost_pence": g["cost_pence"], "placements_cost_unknown": g["cost_unknown"]}
        for key, g in sorted(groups.items())
    ]  # fmt: skip


def outcomes_summary(events: Iterable[JourneyEvent], start: date, end: date) -> dict[str, Any]:
    """Reintegrations in the period and how many were sustained (latest check), attendance at
    reviews in the period, and destinations confirmed in the period (destinations.py)."""
    reintegrations: set[str] = set()
    latest_check: dict[str, tuple[date, Any, bool]] = {}
    possible = attended = 0
    for e in events:
        inside = start <= e.occurred_at <= end
        if e.type == REINTEGRATED and inside:
            reintegrations.add(str(e.data["reintegration_id"]))
        elif e.type == CHECKED:
            rid = str(e.data["reintegration_id"])
            if rid not in latest_check or latest_check[rid][:2] < (e.occurred_at, e.event_id):
                latest_check[rid] = (e.occurred_at, e.event_id, bool(e.data["sustained"]))
        elif e.type == REVIEWED and inside:
            possible += int(e.data["attendance"]["possible_sessions"])
            attended += int(e.data["attendance"]["attended_sessions"])
    sustained = sum(1 for r in reintegrations if r in latest_check and latest_check[r][2])
    return {
        "reintegration": {"count": len(reintegrations), "sustained": sustained},
        "attendance": {
            "possible_sessions": possible,
            "attended_sessions": attended,
            "rate": round(attended / possible, 4) if possible else None,
        },
        "destinations": destinations_summary(events, start, end),
    }


def destinations_summary(events: Iterable[JourneyEvent], start: date, end: date) -> dict[str, Any]:
    """Counts per group (each pupil once, latest in the period), participation rate, sustained."""
    counts = dict.fromkeys(policy().destination_groups, 0)
    sustained = {"education_training": 0, "employment": 0}
    unrecognised = 0
    for confirmations in confirmations_by_pupil(events).values():
        inside = [(i, c) for i, c in enumerate(confirmations) if start <= c.confirmed_on <= end]
        unrecognised += sum(1 for _, c in inside if c.group is None)
        counted = [(i, c) for i, c in inside if c.group is not None]
        if not counted:
            continue
        i, latest = counted[-1]
        assert latest.group is not None
        counts[latest.group] += 1
        if latest.group in sustained and is_sustained(latest, confirmations[i + 1 :]):
            sustained[latest.group] += 1
    cohort = sum(counts.values()) - counts["excluded"]
    return {
        **counts,
        "participation_rate": round(counts["education_training"] / cohort, 4) if cohort else None,
        "sustained": sustained,
        "unrecognised": unrecognised,
        "other": counts["other_activity"],  # deprecated alias of other_activity
    }


def pupil_clocks(
    pupil_id: str,
    events: Iterable[JourneyEvent],
    facts: Iterable[PlacementFact],
    *,
    today: date,
    calendar: SchoolCalendar,
    registered: Mapping[str, bool],
    limits: Policy | None = None,
) -> list[Clock]:
    """Every clock running out for one pupil on `today`."""
    limits = policy() if limits is None else limits
    events = sorted(events, key=lambda e: e.order)
    facts = list(facts)
    clocks: list[Clock] = []
    started = [f for f in facts if f.start_date <= today]
    withdrawn = {str(e.data["referral_id"]) for e in events if e.type.endswith("withdrawn.v1")}
    for e in events:
        d = e.data
        if (
            e.type == REFERRED
            and d.get("reason") == "permanent_exclusion"
            and d.get("excluded_on")
            and str(d["referral_id"]) not in withdrawn
        ):
            excluded = date.fromisoformat(d["excluded_on"])
            due = calendar.add_school_days(excluded, 6)
            if today > due and not any(f.start_date >= excluded for f in started):
                clocks.append(Clock("sixth_day", pupil_id, due, f"excluded {excluded}, due {due}"))
    reviews: dict[str, list[date]] = {}
    for e in events:
        if e.type == REVIEWED:
            reviews.setdefault(str(e.data["placement_id"]), []).append(e.occurred_at)
    half_term = calendar.last_complete_half_term(today)
    for f in started:
        if f.end_date is not None and f.end_date < today:
            continue
        dates = reviews.get(f.placement_id, [])
        last = max(dates, default=None)
        window = timedelta(days=limits.review_interval_days)
        due = (last or f.start_date) + window
        if (
            half_term
            and f.start_date < half_term[0]
            and not any(half_term[0] <= r <= half_term[1] for r in dates)
        ):
            clocks.append(
                Clock(
                    "review",
                    pupil_id,
                    half_term[1],
                    f"no review {half_term[0]} to {half_term[1]}",
                    f.placement_id,
                    f.provider_id,
                )
            )
        elif due < today:
            clocks.append(
                Clock(
                    "review",
                    pupil_id,
                    due,
                    f"last review {last or 'never'}",
                    f.placement_id,
                    f.provider_id,
                )
            )
        if part_time(f.sessions_per_week, limits):
            limit = f.start_date + timedelta(days=limits.part_time_limit_days)
            if today > limit:
                clocks.append(
                    Clock(
                        "part_time",
                        pupil_id,
                        limit,
                        f"{f.sessions_per_week} sessions a week since {f.start_date}",
                        f.placement_id,
                        f.provider_id,
                    )
                )
        if registered.get(f.provider_id) is False:
            clocks.append(
                Clock(
                    "unregistered",
                    pupil_id,
                    f.start_date,
                    "the provider is not registered",
                    f.placement_id,
                    f.provider_id,
                )
            )
        if f.notice_late:
            clocks.append(
                Clock(
                    "late_notice",
                    pupil_id,
                    f.start_date,
                    f"notice given {f.notice_given_on} for a start on {f.start_date}",
                    f.placement_id,
                    f.provider_id,
                )
            )
    checked = {str(e.data["reintegration_id"]) for e in events if e.type == CHECKED}
    for e in events:
        if e.type == REINTEGRATED:
            rid = str(e.data["reintegration_id"])
            due = e.occurred_at + timedelta(days=limits.sustainment_window_days)
            if rid not in checked and today > due:
                clocks.append(
                    Clock(
                        "sustainment",
                        pupil_id,
                        due,
                        f"reintegrated {e.occurred_at} to {e.data['school_urn']}",
                    )
                )
    return clocks


def all_clocks(
    events_by_pupil: Mapping[str, list[JourneyEvent]],
    facts_by_pupil: Mapping[str, list[PlacementFact]],
    **kwargs: Any,
) -> list[Clock]:
    """The action list: every pupil's clocks, the longest overdue first."""
    out: list[Clock] = []
    for pupil in set(events_by_pupil) | set(facts_by_pupil):
        out.extend(
            pupil_clocks(
                pupil, events_by_pupil.get(pupil, []), facts_by_pupil.get(pupil, []), **kwargs
            )
        )
    return sorted(out, key=lambda c: (c.since, c.kind, c.pupil_id, c.placement_id or "", c.detail))


def sufficiency(
    events_by_pupil: Mapping[str, Sequence[JourneyEvent]],
    dates_of_birth: Mapping[str, date],
    providers: Mapping[str, ProviderView],
    start: date,
    end: date,
) -> dict[str, Any]:
    return answer(demand(events_by_pupil, dates_of_birth, start, end), providers, start, end)


def demand(
    events_by_pupil: Mapping[str, Sequence[JourneyEvent]],
    dates_of_birth: Mapping[str, date],
    start: date,
    end: date,
) -> Demand:
    """The counts from every pupil's journey events, in Python."""
    referrals: dict[tuple[int, str], set[str]] = defaultdict(set)
    monthly: dict[tuple[str, int, str], set[str]] = defaultdict(set)
    to_decision: dict[tuple[int, str], list[int]] = defaultdict(list)
    to_start: dict[tuple[int, str], list[int]] = defaultdict(list)
    waiting: dict[tuple[int, str], set[str]] = defaultdict(set)
    used: dict[tuple[str, int, str], set[str]] = defaultdict(set)

    for pupil, events in events_by_pupil.items():
        dob = dates_of_birth.get(pupil)
        referred: dict[str, JourneyEvent] = {}
        decided: dict[str, JourneyEvent] = {}
        withdrawn: dict[str, date] = {}
        started: dict[str, date] = {}
        for e in events:
            rid = str(e.data.get("referral_id"))
            if e.type == REFERRED:
                referred[rid] = e
            elif e.type == DECIDED:
                decided[rid] = e
            elif e.type == WITHDRAWN:
                withdrawn[rid] = e.occurred_at
            elif e.type == PLACED:
                day = date.fromisoformat(e.data["start_date"])
                started[rid] = min(started.get(rid, day), day)
        for rid, ref in referred.items():
            on = date.fromisoformat(ref.data["referred_on"])
            key = (int(ref.data["tier_requested"]), phase_of(dob, on))
            if start <= on <= end:
                referrals[key].add(pupil)
                monthly[(on.strftime("%Y-%m"), *key)].add(pupil)
                if rid in decided:
                    decided_on = date.fromisoformat(decided[rid].data["decided_on"])
                    to_decision[key].append((decided_on - on).days)
                if rid in started:
                    to_start[key].append((started[rid] - on).days)
            accepted = rid in decided and decided[rid].data["decision"] == "accepted"
            if (
                accepted and on <= end
                and date.fromisoformat(decided[rid].data["decided_on"]) <= end
                and not (rid in withdrawn and withdrawn[rid] <= end)
                and not (rid in started and started[rid] <= end)
            ):  # fmt: skip
                waiting[key].add(pupil)
        for fact in placements_of(events, pupil):
            if days_inside(fact, end, end):
                used[(fact.provider_id, fact.tier, phase_of(dob, end))].add(pupil)

    return Demand(
        referrals={k: len(v) for k, v in referrals.items()},
        to_decision=dict(to_decision), to_start=dict(to_start),
        waiting={k: len(v) for k, v in waiting.items()},
        waiting_pupils=len({p for v in waiting.values() for p in v}),
        monthly={k: len(v) for k, v in monthly.items()},
        used={k: len(v) for k, v in used.items()},
    )  # fmt: skip


def counts(
    facts: Iterable[PlacementFact], key: Callable[[PlacementFact], str]
) -> list[dict[str, Any]]:
    """Pupils and placements by a key of the placement, sorted by key (as `cost_rows` sorts)."""
    groups: dict[str, tuple[set[str], list[str]]] = defaultdict(lambda: (set(), []))
    for f in facts:
        pupils, placements = groups[key(f)]
        pupils.add(f.pupil_id)
        placements.append(f.placement_id)
    return [{"key": k, "pupils": len(p), "placements": len(pl)}
            for k, (p, pl) in sorted(groups.items())]  # fmt: skip


def weekly_caseload(
    facts: Iterable[PlacementFact], spans: Sequence[tuple[date, date]]
) -> list[tuple[date, int]]:
    """Pupils with a placement on any day of each week: each pupil's placements merged into runs
    of weeks, then counted with a difference array (linear in placements)."""
    if not spans:
        return []
    first, last = spans[0][0], spans[-1][1]
    runs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for f in facts:
        start, end = max(f.start_date, first), min(f.end_date or last, last)
        if start <= end:
            runs[f.pupil_id].append(((start - first).days // 7, (end - first).days // 7))
    delta = [0] * (len(spans) + 1)
    for pupil_runs in runs.values():
        pupil_runs.sort()
        lo, hi = pupil_runs[0]
        for a, b in pupil_runs[1:]:
            if a <= hi:
                hi = max(hi, b)
            else:
                delta[lo] += 1
                delta[hi + 1] -= 1
                lo, hi = a, b
        delta[lo] += 1
        delta[hi + 1] -= 1
    out, running = [], 0
    for i, (monday, _) in enumerate(spans):
        running += delta[i]
        out.append((monday, running))
    return out


def overview(
    today_facts: Sequence[PlacementFact],
    period_facts: Sequence[PlacementFact],
    providers: Mapping[str, Mapping[str, Any]],
    dual: set[str],
    today: date,
    filters: Filters,
) -> Page:
    """The overview from placements in Python."""
    return overview_page(overview_figures(today_facts, period_facts, providers, dual, today,
                                          filters), providers)  # fmt: skip


def overview_figures(
    today_facts: Sequence[PlacementFact],
    period_facts: Sequence[PlacementFact],
    providers: Mapping[str, Mapping[str, Any]],
    dual: set[str],
    today: date,
    filters: Filters,
) -> OverviewFigures:
    """The overview's figures by Python (report_queries.overview_figures: the same from SQL)."""
    now = [f for f in today_facts if days_inside(f, today, today)]
    return OverviewFigures(
        pupils=len({f.pupil_id for f in now}),
        unregistered=len({f.pupil_id for f in now
                          if providers.get(f.provider_id, {}).get("registered") is False}),
        part_time=len({f.pupil_id for f in now
                       if part_time(f.sessions_per_week, policy())}),
        dual=len({f.pupil_id for f in now if f.placement_id in dual}),
        by_tier=counts(now, lambda f: str(f.tier)),
        by_commissioner=counts(now, lambda f: f.commissioner),
        by_provider=counts(now, lambda f: f.provider_id),
        weekly=weekly_caseload(period_facts, weeks(filters.start, filters.end)),
    )  # fmt: skip


def money(
    facts: Sequence[PlacementFact], providers: Mapping[str, Mapping[str, Any]], filters: Filters
) -> Page:
    """The money page from placements, by the cost rule in Python."""
    return money_page(money_figures(facts, filters), providers)


def money_figures(facts: Sequence[PlacementFact], filters: Filters) -> MoneyFigures:
    """The money page's figures by Python (report_queries.money_figures: the same from SQL)."""
    start, end = filters.start, filters.end

    def pupils(first: date, last: date) -> int:
        return len({f.pupil_id for f in facts if days_inside(f, first, last)})

    by_commissioner, by_provider, by_tier = (
        cost_rows(facts, start, end, by) for by in ("commissioner", "provider", "tier")
    )
    return MoneyFigures(
        by_commissioner,
        by_provider,
        by_tier,
        pupils=pupils(start, end),
        monthly=[
            (first, known_total(cost_rows(facts, first, last, "tier")), pupils(first, last))
            for first, last in months(start, end)
        ],
    )


def _attribute(
    events: Iterable[JourneyEvent],
    facts: Sequence[PlacementFact],
    key: Callable[[PlacementFact], str],
    start: date,
    end: date,
) -> dict[str, list[JourneyEvent]]:
    """Outcome events grouped by a key of the placement they count for (attribution.py). Every
    group also reads every sustainment check (a reintegration is sustained by its latest check
    wherever that is attributed), and a pupil's recognised destinations all go to the group of
    their latest in the period (each pupil counts once, as on /v1/outcomes)."""
    by_pupil: dict[str, list[PlacementFact]] = defaultdict(list)
    for f in facts:
        by_pupil[f.pupil_id].append(f)
    named_pupil = {f.placement_id: f.pupil_id for f in facts}
    groups: dict[str, list[JourneyEvent]] = defaultdict(list)
    checks = [e for e in events if e.type == CHECKED]
    recognised: dict[str, list[JourneyEvent]] = defaultdict(list)
    latest_key: dict[str, str] = {}
    for e in sorted(events, key=lambda e: e.order):
        named = e.data.get("placement_id")
        named = None if named is None else str(named)
        pupil = named_pupil.get(named or "", str(e.data.get("pupil_id")))
        fact = attributed_placement(named, by_pupil.get(pupil, []), e.occurred_at)
        k = key(fact) if fact else "unknown"
        group = groups[k]  # a key with only a check still has a row
        if e.type == DESTINATION and confirmation(e).group is not None:
            recognised[pupil].append(e)
            if start <= e.occurred_at <= end:
                latest_key[pupil] = k
        elif e.type != CHECKED:
            group.append(e)
    for pupil, k in latest_key.items():
        groups[k].extend(recognised[pupil])
    return {k: evs + checks for k, evs in groups.items()}


def outcomes(
    events: Sequence[JourneyEvent],
    facts: Sequence[PlacementFact],
    providers: Mapping[str, Mapping[str, Any]],
    filters: Filters,
) -> Page:
    """The outcomes page from events and placements, in Python."""
    return outcomes_page(outcome_splits(events, facts, filters), providers)


def outcome_splits(
    events: Sequence[JourneyEvent], facts: Sequence[PlacementFact], filters: Filters
) -> OutcomeSplits:
    """`outcomes_summary` over all the events and over the events that belong to each
    provider and tier (report_queries.outcome_splits: the same from SQL)."""
    start, end = filters.start, filters.end
    return OutcomeSplits(
        outcomes_summary(events, start, end),
        *(
            {k: outcomes_summary(evs, start, end)
             for k, evs in _attribute(events, facts, key, start, end).items()}
            for key in (lambda f: f.provider_id, lambda f: str(f.tier))
        ),
    )  # fmt: skip


@dataclass
class ReadModel:
    """The read model in memory, with the consumer's semantics: duplicates skipped by event id,
    each pupil's state recomputed from all their events. The SQL projection must agree."""

    events: dict[UUID, dict[UUID, TypedEvent]] = field(default_factory=dict)

    def apply(self, pupil_id: UUID, event: TypedEvent) -> bool:
        """Apply one delivery; False when that event was already applied."""
        mine = self.events.setdefault(pupil_id, {})
        if event.event_id in mine:
            return False
        mine[event.event_id] = event
        return True

    def state(self, pupil_id: UUID) -> PupilState:
        return project(self.events.get(pupil_id, {}).values())

    def outcome_facts(self, pupil_id: UUID) -> list[OutcomeFact]:
        """What the projection decides once for each outcome event of the pupil."""
        mine = list(self.events.get(pupil_id, {}).values())
        placements = placements_of(map(untyped, mine), str(pupil_id))
        return outcome_facts_of(mine, placements, policy())

    def timeline(self, pupil_id: UUID) -> list[UUID]:
        return [
            e.event_id
            for e in sorted(self.events.get(pupil_id, {}).values(), key=lambda e: e.order)
        ]


def as_journey_event(envelope) -> TypedEvent:
    return TypedEvent(envelope.id, envelope.data)


def replay(delivered) -> ReadModel:
    model = ReadModel()
    for envelope in delivered:
        model.apply(envelope.data.pupil_id, as_journey_event(envelope))
    return model
