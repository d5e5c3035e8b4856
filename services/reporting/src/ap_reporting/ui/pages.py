"""What each page shows, from read-model rows, through the report functions. Pure.

Figures come from `reports.cost_rows` and `reports.outcomes_summary`, the functions behind
`/v1/costs` and `/v1/outcomes`, so the pages and the API cannot disagree.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from .. import reports
from ..attribution import attributed_placement
from ..clocks import Clock, clock_titles, part_time
from ..destinations import confirmation
from ..event_types import (
    CHECKED,
    DECIDED,
    DESTINATION,
    ENDED,
    PLACED,
    REFERRED,
    REINTEGRATED,
    REVIEWED,
    WITHDRAWN,
)
from ..policy import policy
from ..projection import JourneyEvent
from ..report_queries import MoneyFigures, OutcomeSplits, OverviewFigures
from ..reports import PlacementFact
from . import charts
from .tables import Cell, Table, pounds, rate

MAX_WEEKS = 104
ACTIONS_SHOWN = 500  # the rest in the downloads


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    tier: int | None = None
    commissioner: str | None = None
    provider: str | None = None
    school: str | None = None

    def keeps(self, f: PlacementFact) -> bool:
        return (
            (self.tier is None or f.tier == self.tier)
            and (self.commissioner is None or f.commissioner == self.commissioner)
            and (self.provider is None or f.provider_id == self.provider)
            and (
                self.school is None
                or f.commissioner == f"school:{self.school}"
                or f.home_school_urn == self.school
            )
        )

    @property
    def narrowed(self) -> bool:
        return any(
            v is not None for v in (self.tier, self.commissioner, self.provider, self.school)
        )


@dataclass
class Page:
    title: str
    figures: list[tuple[str, str, str]] = field(default_factory=list)  # (id, label, value)
    charts: list[tuple[str, str]] = field(default_factory=list)  # (svg, table id)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figure_basis: dict[str, tuple[int, ...]] = field(default_factory=dict)  # id -> its counts


def provider_name(providers: Mapping[str, Mapping[str, Any]], pid: str) -> str:
    return str(providers.get(pid, {}).get("name") or pid)


def _cost_table(
    tid: str, caption: str, rows: list[dict[str, Any]], label: Callable[[str], str]
) -> Table:
    return Table(
        tid,
        caption,
        ("Group", "Key", "Placements", "Pupils", "Cost (£)"),
        [
            (label(r["key"]), r["key"], r["placements"], r["pupils"], r.get("cost_pence"))
            for r in rows
        ],
        numeric=frozenset({2, 3, 4}),
        money=frozenset({4}),
        basis=dict.fromkeys((2, 3, 4), (2, 3)),  # a cost row of under 5 is withheld whole
    )


def _pupil_table(
    tid: str, caption: str, rows: list[dict[str, Any]], label: Callable[[str], str]
) -> Table:
    return Table(
        tid,
        caption,
        ("Group", "Key", "Pupils", "Placements"),
        [(label(r["key"]), r["key"], r["pupils"], r["placements"]) for r in rows],
        numeric=frozenset({2, 3}),
        basis=dict.fromkeys((2, 3), (2, 3)),
        breakdown=True,  # the figures above give the total
    )


def known_total(rows: Iterable[Mapping[str, Any]]) -> int:
    """The sum of the costs a report knows (a row whose cost is unknown adds nothing)."""
    return sum(r.get("cost_pence") or 0 for r in rows)


def commissioner_label(key: str) -> str:
    return "Local authority" if key == "local_authority" else key.replace("school:", "School ")


def weeks(start: date, end: date) -> list[tuple[date, date]]:
    monday = start - timedelta(days=start.weekday())
    out: list[tuple[date, date]] = []
    while monday <= end:
        out.append((monday, monday + timedelta(days=6)))
        monday += timedelta(days=7)
    return out[-MAX_WEEKS:]


def months(start: date, end: date) -> list[tuple[date, date]]:
    out: list[tuple[date, date]] = []
    first = start.replace(day=1)
    while first <= end:
        nxt = (first + timedelta(days=32)).replace(day=1)
        out.append((max(first, start), min(nxt - timedelta(days=1), end)))
        first = nxt
    return out


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
    now = [f for f in today_facts if reports.days_inside(f, today, today)]
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


def unregistered_providers(providers: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return [k for k, v in providers.items() if v.get("registered") is False]


def overview_page(figures: OverviewFigures, providers: Mapping[str, Mapping[str, Any]]) -> Page:
    """The city now: pupils in AP today, and the weekly caseload over the period."""
    page = Page("The city now")
    page.figures = [
        ("in-ap", "Pupils in AP today", str(figures.pupils)),
        ("registered", "In registered provision", str(figures.pupils - figures.unregistered)),
        ("unregistered", "In unregistered provision", str(figures.unregistered)),
        ("part-time", "On part-time timetables", str(figures.part_time)),
        ("dual", "Dual registered", str(figures.dual)),
    ]
    page.figure_basis = {
        fid: (int(v),) for fid, _, v in page.figures
    }  # each figure is a count of pupils
    page.tables += [
        _pupil_table(
            "by-tier", "Pupils in AP today by tier", figures.by_tier, lambda k: f"Tier {k}",
        ),
        _pupil_table(
            "by-commissioner", "Pupils in AP today by commissioner", figures.by_commissioner,
            commissioner_label,
        ),
        _pupil_table(
            "by-provider", "Pupils in AP today by provider", figures.by_provider,
            lambda k: provider_name(providers, k),
        ),
    ]  # fmt: skip
    weekly = figures.weekly
    table = Table(
        "weekly-caseload",
        "Pupils in AP each week (week beginning)",
        ("Week beginning", "Pupils"),
        [(mon.isoformat(), n) for mon, n in weekly],
        numeric=frozenset({1}),
        basis={1: (1,)},
    )
    page.charts.append(
        (
            charts.columns(
                "chart-weekly",
                "Pupils in AP each week",
                [(m.strftime("%d %b"), n) for m, n in weekly],
            ),
            table.id,
        )
    )
    page.tables.append(table)
    return page


def money(
    facts: Sequence[PlacementFact], providers: Mapping[str, Mapping[str, Any]], filters: Filters
) -> Page:
    """The money page from placements, by the cost rule in Python."""
    return money_page(money_figures(facts, filters), providers)


def money_figures(facts: Sequence[PlacementFact], filters: Filters) -> MoneyFigures:
    """The money page's figures by Python (report_queries.money_figures: the same from SQL)."""
    start, end = filters.start, filters.end

    def pupils(first: date, last: date) -> int:
        return len({f.pupil_id for f in facts if reports.days_inside(f, first, last)})

    by_commissioner, by_provider, by_tier = (
        reports.cost_rows(facts, start, end, by) for by in ("commissioner", "provider", "tier")
    )
    return MoneyFigures(
        by_commissioner,
        by_provider,
        by_tier,
        pupils=pupils(start, end),
        monthly=[
            (first, known_total(reports.cost_rows(facts, first, last, "tier")), pupils(first, last))
            for first, last in months(start, end)
        ],
    )


def money_page(figures: MoneyFigures, providers: Mapping[str, Mapping[str, Any]]) -> Page:
    """Cost in the period by commissioner, provider and tier (the cost rule), monthly spend."""
    page = Page("Money")
    by_commissioner = figures.by_commissioner
    total = known_total(by_commissioner)
    pupils = figures.pupils
    page.figures = [
        ("total-cost", "Cost in the period", pounds(total) or "n/a"),
        ("pupils", "Pupils placed in the period", str(pupils)),
        (
            "cost-per-pupil",
            "Cost per pupil",
            (pounds(round(total / pupils)) if pupils else None) or "n/a",
        ),
    ]
    page.figure_basis = dict.fromkeys(("total-cost", "pupils", "cost-per-pupil"), (pupils,))
    page.tables += [
        _cost_table(
            "cost-by-commissioner", "Cost by commissioner", by_commissioner, commissioner_label
        ),
        _cost_table(
            "cost-by-provider",
            "Cost by provider",
            figures.by_provider,
            lambda k: provider_name(providers, k),
        ),
        _cost_table("cost-by-tier", "Cost by tier", figures.by_tier, lambda k: f"Tier {k}"),
        _cost_table(
            "school-spend",
            "Each school's commissioned spend",
            [r for r in by_commissioner if r["key"].startswith("school:")],
            commissioner_label,
        ),
    ]
    monthly = figures.monthly
    table = Table(
        "monthly-spend",
        "Spend each month",
        ("Month", "Cost (£)", "Pupils"),
        [(m.strftime("%Y-%m"), c, n) for m, c, n in monthly],
        numeric=frozenset({1, 2}),
        money=frozenset({1}),
        basis={1: (2,), 2: (2,)},
    )
    page.charts.append(
        (
            charts.columns(
                "chart-monthly",
                "Spend each month (£)",
                [(m.strftime("%b %y"), c / 100) for m, c, _ in monthly],
                unit="£",
            ),
            table.id,
        )
    )
    page.tables.append(table)
    return page


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


def _confirmed(dest: Mapping[str, Any]) -> int:
    """Pupils with a confirmed destination: the group counts, excluded ones included."""
    return sum(int(dest.get(g) or 0) for g in policy().destination_groups)


def _outcome_row(label: str, key: str, s: Mapping[str, Any]) -> tuple[Cell, ...]:
    dest = s["destinations"]
    known = _confirmed(dest)
    return (
        label,
        key,
        s["attendance"]["possible_sessions"],
        s["attendance"]["attended_sessions"],
        rate(s["attendance"]["rate"]),
        s["reintegration"]["count"],
        s["reintegration"]["sustained"],
        known,
        dest.get("education_training", 0),
        rate(dest.get("participation_rate")),  # the DfE way: excluded out of the cohort
    )


# Sessions are not people (answered as they are, as disclosure.py does); the rest rest on the
# reintegration count (5), sustained (6) and the confirmed destinations (7).
OUTCOME_BASIS = {5: (5,), 6: (5, 6), 7: (7,), 8: (7, 8), 9: (7,)}
OUTCOME_HEADERS = (
    "Group",
    "Key",
    "Possible sessions",
    "Attended sessions",
    "Attendance rate",
    "Reintegrations",
    "Sustained",
    "Destinations",
    "In education or training",
    "Participation rate",
)


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
    """`reports.outcomes_summary` over all the events and over the events that belong to each
    provider and tier (report_queries.outcome_splits: the same from SQL)."""
    start, end = filters.start, filters.end
    return OutcomeSplits(
        reports.outcomes_summary(events, start, end),
        *(
            {k: reports.outcomes_summary(evs, start, end)
             for k, evs in _attribute(events, facts, key, start, end).items()}
            for key in (lambda f: f.provider_id, lambda f: str(f.tier))
        ),
    )  # fmt: skip


def outcomes_page(splits: OutcomeSplits, providers: Mapping[str, Mapping[str, Any]]) -> Page:
    """Attendance, reintegrations (sustained), destinations by group: overall, per provider,
    per tier."""
    page = Page("Outcomes")
    overall = splits.overall
    dest = overall["destinations"]
    known = _confirmed(dest)
    page.figures = [
        ("attendance-rate", "Attendance rate", rate(overall["attendance"]["rate"])),
        ("reintegrations", "Reintegrations", str(overall["reintegration"]["count"])),
        ("sustained", "Sustained", str(overall["reintegration"]["sustained"])),
        (
            "participation",
            "Participation rate (post-16)",
            rate(dest.get("participation_rate")),
        ),
    ]
    reint = overall["reintegration"]
    page.figure_basis = {
        "reintegrations": (reint["count"],),
        "sustained": (reint["count"], reint["sustained"], reint["count"] - reint["sustained"]),
        "participation": (known,),
    }
    page.tables.append(
        Table(
            "destinations",
            "Post-16 destinations by group",
            ("Group", "Pupils", "Share"),
            [
                (
                    g.replace("_", " "),
                    dest.get(g, 0),
                    rate(dest.get(g, 0) / known if known else None),
                )
                for g in policy().destination_groups
            ],
            numeric=frozenset({1, 2}),
            basis={1: (1,), 2: (1,)},
        )
    )
    tables: list[tuple[str, str, dict[str, dict[str, Any]], Callable[[str], str]]] = [
        ("outcomes-by-provider", "Outcomes by provider", splits.by_provider,
         lambda k: provider_name(providers, k)),
        ("outcomes-by-tier", "Outcomes by tier", splits.by_tier, lambda k: f"Tier {k}"),
    ]  # fmt: skip
    for tid, caption, groups, label in tables:
        page.tables.append(
            Table(
                tid,
                caption,
                OUTCOME_HEADERS,
                [_outcome_row(label(k), k, summary) for k, summary in sorted(groups.items())],
                numeric=frozenset(range(2, 10)),
                basis=OUTCOME_BASIS,
                links={1: "/ui/providers/"} if tid == "outcomes-by-provider" else {},
            )
        )
    page.tables.insert(
        0,
        Table(
            "outcomes-overall",
            "Outcomes overall",
            OUTCOME_HEADERS,
            [_outcome_row("All", "all", overall)],
            numeric=frozenset(range(2, 10)),
            basis=OUTCOME_BASIS,
        ),
    )
    return page


def actions(
    clocks: Sequence[Clock], providers: Mapping[str, Mapping[str, Any]], pupil_links: bool
) -> Page:
    page = Page("Action list")
    per_kind: dict[str, int] = defaultdict(int)
    for c in clocks:
        per_kind[c.kind] += 1
    titles = clock_titles(policy())
    page.figures = [(k, title, str(per_kind.get(k, 0))) for k, title in titles.items()]
    page.tables.append(
        Table(
            "clocks",
            "Clocks that have run out, longest overdue first",
            ("Clock", "Pupil", "Since", "Detail", "Provider", "Placement"),
            [
                (
                    titles[c.kind],
                    c.pupil_id,
                    c.since.isoformat(),
                    c.detail,
                    provider_name(providers, c.provider_id) if c.provider_id else None,
                    c.placement_id,
                )
                for c in clocks
            ],
            links={1: "/ui/pupils/"} if pupil_links else {},
            shown=ACTIONS_SHOWN,
        )
    )
    return page


EVENT_LABELS = {
    REFERRED: "Referred",
    DECIDED: "Referral decided",
    WITHDRAWN: "Referral withdrawn",
    PLACED: "Placed",
    ENDED: "Placement ended",
    REVIEWED: "Placement reviewed",
    REINTEGRATED: "Reintegrated",
    CHECKED: "Sustainment checked",
    DESTINATION: "Destination confirmed",
}
SUMMARY_FIELDS = (
    "reason",
    "tier_requested",
    "excluded_on",
    "decision",
    "tier",
    "start_date",
    "sessions_per_week",
    "end_date",
    "attendance",
    "progress",
    "outcome",
    "school_urn",
    "mode",
    "sustained",
    "group",
    "activity_code",
)


def timeline(events: Sequence[Any], clocks: Sequence[Clock]) -> Table:
    """A pupil's events with the clocks that ran out marked at their dates, in date order."""
    rows: list[tuple[date, int, tuple[Cell, ...]]] = []
    for e in events:
        d = e["data"]
        detail = "; ".join(
            f"{k.replace('_', ' ')}: {_plain(d[k])}" for k in SUMMARY_FIELDS if d.get(k) is not None
        )
        day = e["occurred_at"]
        rows.append((day, 0, (day.isoformat(), EVENT_LABELS.get(e["type"], e["type"]), detail)))
    titles = clock_titles(policy())
    for c in clocks:
        rows.append((c.since, 1, (c.since.isoformat(), "Clock: " + titles[c.kind], c.detail)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return Table("timeline", "Journey", ("Date", "What happened", "Detail"), [r[2] for r in rows])


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items())
    return str(value)
