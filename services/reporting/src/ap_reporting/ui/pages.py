"""What each page shows, built from the figures report_queries.py computes in SQL. Pure.

The routes (routes.py) fetch the figures with the same queries as `/v1/costs` and
`/v1/outcomes`, so the pages and the API cannot disagree; these builders only lay them out.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..clocks import Clock, clock_titles
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
from ..placement_facts import PlacementFact
from ..policy import policy
from ..report_queries import MoneyFigures, OutcomeSplits, OverviewFigures
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
