"""Reports computed where the data is: the cost rule, the outcomes summary and
the dashboard's figures as SQL aggregates over the read-model tables, so a report over 50,000
pupils moves a few rows, not every placement and event, into Python.

Each query gives exactly what the reference implementations in the service's tests give over
the same rows (tests/reporting_reference.py; tests/test_report_queries.py compares them on a
generated cohort); the rules they share are the pure functions of src (attribution.py, the cost
rule of reports.py, destinations.py, clocks.py) and the settings those of policy.py:
- costs in integer pence, never a float: a placement's cost is annual x days, rounded half away
  from zero to the penny as `(2x + 365) div 730` on the integer product, then summed;
- destination groups and sustain months come from `codesets/destinations.json` (ap_schemas),
  passed in as arrays on every query, so the data file stays the one place an authority edits
  and a correction of it regroups every figure on the next read;
- group keys are sorted in Python (code point order, as `sorted` does), never by a collation.
Parameters are always bind parameters; the SQL text is assembled from constants only.
"""

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from ap_schemas.codes import destination_codes, sustain_months

from .event_types import (
    CHECKED,
    DECIDED,
    PLACED,
    REFERRED,
    REINTEGRATED,
    REVIEWED,
    WITHDRAWN,
)
from .policy import Policy, policy
from .sufficiency import Demand

BY_COLUMN = {"commissioner": "commissioner", "provider": "provider_id", "tier": "tier::text"}


@dataclass(frozen=True)
class FactScope:
    """Which placements a report covers: the caller's scope (a school its own pupils, or its
    commissioned spend; a provider its own placements) and the page's filters."""

    tier: int | None = None
    commissioner: str | None = None
    provider: str | None = None
    school: str | None = None  # commissioned by the school, or the pupil's home school
    own_school: str | None = None  # the school role: its pupils (as `school`)
    own_spend: str | None = None  # the school role on the money page: what it commissioned
    own_provider: str | None = None  # the provider role: its placements

    def where(self, first: int) -> tuple[str, list[Any]]:
        """SQL conditions on placement_facts, numbered from `$first`, and their arguments."""
        parts: list[str] = []
        args: list[Any] = []
        for value, condition in (
            (self.tier, "tier = ${n}"),
            (self.commissioner, "commissioner = ${n}"),
            (self.provider, "provider_id = ${n}"),
            (self.school, _SCHOOL),
            (self.own_school, _SCHOOL),
            (self.own_spend, "commissioner = 'school:' || ${n}"),
            (self.own_provider, "provider_id = ${n}"),
        ):
            if value is not None:
                args.append(value)
                parts.append(condition.format(n=first + len(args) - 1))
        return " AND ".join(parts) or "true", args


@asynccontextmanager
async def roomy(conn: asyncpg.Connection) -> AsyncIterator[None]:
    """A read-only transaction whose sorts and hashes stay in memory: the default work_mem
    (4 MB) sends a report over 50,000 pupils to disk."""
    async with conn.transaction(readonly=True):
        await conn.execute("SET LOCAL work_mem = '64MB'")
        yield


_SCHOOL = "(commissioner = 'school:' || ${n} OR home_school_urn = ${n})"
EVERYTHING = FactScope()

# The cost rule on a placement clipped to [$1, $2]; `days` > 0 when it falls inside.
_CLIPPED = (
    "SELECT placement_id, pupil_id, provider_id, commissioner, tier, start_date, end_date,"
    " annual_cost_pence AS a,"
    " least(coalesce(end_date, $2), $2) - greatest(start_date, $1) + 1 AS days"
    " FROM placement_facts WHERE start_date <= $2 AND (end_date IS NULL OR end_date >= $1)"
)
_PENCE = (
    "CASE WHEN a * days >= 0 THEN (2 * a * days + 365) / 730"
    " ELSE -((-2 * a * days + 365) / 730) END"
)


def _cost_row(r: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "key": r["key"], "placements": r["placements"], "pupils": r["pupils"],
        "cost_pence": int(r["cost_pence"]), "placements_cost_unknown": r["unknown"],
    }  # fmt: skip


async def cost_rows(
    conn: asyncpg.Connection, start: date, end: date, by: str, scope: FactScope = EVERYTHING
) -> list[dict[str, Any]]:
    """`reports.cost_rows` over the placements in scope: placements, pupils, cost in pence and
    placements whose cost is not known, per commissioner, provider or tier, sorted by key."""
    where, args = scope.where(3)
    rows = await conn.fetch(
        f"SELECT {BY_COLUMN[by]} AS key, count(*) AS placements,"  # noqa: S608 (constants)
        f" count(DISTINCT pupil_id) AS pupils, coalesce(sum({_PENCE}), 0) AS cost_pence,"
        " count(*) FILTER (WHERE a IS NULL) AS unknown"
        f" FROM ({_CLIPPED} AND {where}) f WHERE days > 0 GROUP BY 1",
        start, end, *args,
    )  # fmt: skip
    return sorted((_cost_row(r) for r in rows), key=lambda r: r["key"])


@dataclass(frozen=True)
class MoneyFigures:
    """What the money page shows: cost rows three ways, pupils placed, and each month's spend
    (each placement's cost rounded per month, as the page has always rounded it)."""

    by_commissioner: list[dict[str, Any]]
    by_provider: list[dict[str, Any]]
    by_tier: list[dict[str, Any]]
    pupils: int
    monthly: list[tuple[date, int, int]]  # (first day, cost in pence, pupils)


async def money_figures(
    conn: asyncpg.Connection,
    start: date,
    end: date,
    months: Sequence[tuple[date, date]],
    scope: FactScope = EVERYTHING,
) -> MoneyFigures:
    where, args = scope.where(3)
    async with roomy(conn):
        rows = await conn.fetch(
            f"WITH f AS ({_CLIPPED} AND {where})"  # noqa: S608 (constants)
            " SELECT GROUPING(commissioner, provider_id, tier) AS g, commissioner, provider_id,"
            " tier::text AS tier, count(*) AS placements, count(DISTINCT pupil_id) AS pupils,"
            f" coalesce(sum({_PENCE}), 0) AS cost_pence,"
            " count(*) FILTER (WHERE a IS NULL) AS unknown"
            " FROM f WHERE days > 0"
            " GROUP BY GROUPING SETS ((commissioner), (provider_id), (tier), ())",
            start, end, *args,
        )  # fmt: skip
        monthly = await monthly_spend(conn, start, end, months, scope)
    by: dict[int, list[dict[str, Any]]] = {3: [], 5: [], 6: []}
    pupils = 0
    for r in rows:
        if r["g"] == 7:
            pupils = r["pupils"]
        else:
            key = {3: r["commissioner"], 5: r["provider_id"], 6: r["tier"]}[r["g"]]
            by[r["g"]].append(_cost_row({**dict(r), "key": key}))
    by_commissioner, by_provider, by_tier = (
        sorted(by[g], key=lambda r: r["key"]) for g in (3, 5, 6)
    )
    return MoneyFigures(by_commissioner, by_provider, by_tier, pupils, monthly)


# Pupils in each span (week or month) from placements as runs of spans ({spans}: pupil_id, lo,
# hi): each pupil's runs merged where they overlap, then +1 where a merged run starts and -1
# after it ends; the caller's running sum counts each pupil once a span (linear in placements).
_RUNS = (
    "runs AS (SELECT pupil_id, lo, hi, max(hi) OVER (PARTITION BY pupil_id ORDER BY lo, hi"
    "  ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach FROM {spans}),"
    " numbered AS (SELECT pupil_id, lo, hi, count(*) FILTER (WHERE reach IS NULL OR lo > reach)"
    "  OVER (PARTITION BY pupil_id ORDER BY lo, hi ROWS UNBOUNDED PRECEDING) AS run FROM runs),"
    " merged AS (SELECT min(lo) AS lo, max(hi) AS hi FROM numbered GROUP BY pupil_id, run),"
    " starts AS (SELECT i, sum(n) AS n FROM (SELECT lo AS i, 1 AS n FROM merged"
    "  UNION ALL SELECT hi + 1, -1 FROM merged) p GROUP BY i)"
)

# A placement clipped to the period as months: `lo` and `hi` index `months` (0 = the period's
# first); $3 and $4 hold the months' first and last days, $5 the first month's year * 12 + month.
_MONTHS = (
    "SELECT pupil_id, a, c0, c1, lo, hi, ($4::date[])[lo + 1] AS lo_last,"
    " ($3::date[])[hi + 1] AS hi_first FROM ("
    " SELECT pupil_id, a, c0, c1,"
    " extract(year FROM c0)::int * 12 + extract(month FROM c0)::int - $5 AS lo,"
    " extract(year FROM c1)::int * 12 + extract(month FROM c1)::int - $5 AS hi"
    " FROM (SELECT pupil_id, a, greatest(start_date, $1) AS c0,"
    " least(coalesce(end_date, $2), $2) AS c1 FROM ({clipped} AND {where}) f"
    " WHERE days > 0) c) m"
)


def _pence_of(days: str) -> str:
    return _PENCE.replace("days", f"({days})")


async def monthly_spend(
    conn: asyncpg.Connection,
    start: date,
    end: date,
    months: Sequence[tuple[date, date]],
    scope: FactScope = EVERYTHING,
) -> list[tuple[date, int, int]]:
    """Each month's spend and pupils, as the money page has always computed them: every
    placement's cost rounded per month (`cost_rows` over the month), and the pupils placed in it.
    Linear in placements: a placement gives its first and last months' costs and, for the full
    months between, four rounded costs (one per month length) into difference arrays; a pupil's
    placements are merged into runs of months whose starts and ends are counted likewise."""
    where, args = scope.where(6)
    base = start.year * 12 + start.month
    rows = await conn.fetch(
        f"WITH m AS MATERIALIZED ({_MONTHS.format(clipped=_CLIPPED, where=where)}),"  # noqa: S608
        f" {_RUNS.format(spans='m')}"
        " SELECT 'pupils' AS part, i, 0 AS length, n AS amount FROM starts"
        " UNION ALL SELECT 'edge', i, 0, sum(cost) FROM ("
        f"  SELECT lo AS i, {_pence_of('c1 - c0 + 1')} AS cost FROM m WHERE lo = hi"
        f"  UNION ALL SELECT lo, {_pence_of('lo_last - c0 + 1')} FROM m WHERE lo < hi"
        f"  UNION ALL SELECT hi, {_pence_of('c1 - hi_first + 1')} FROM m WHERE lo < hi) e"
        "  GROUP BY i"
        " UNION ALL SELECT 'full', i, length, sum(cost) FROM ("
        f"  SELECT lo + 1 AS i, n AS length, {_pence_of('n')} AS cost"
        "   FROM m, generate_series(28, 31) AS n WHERE hi > lo + 1"
        f"  UNION ALL SELECT hi, n, -{_pence_of('n')}"
        "   FROM m, generate_series(28, 31) AS n WHERE hi > lo + 1) x"
        "  GROUP BY i, length",
        start, end, [m[0] for m in months], [m[1] for m in months], base, *args,
    )  # fmt: skip
    size = len(months) + 1
    pupils, edge = [0] * size, [0] * size
    full = {n: [0] * size for n in range(28, 32)}
    for r in rows:
        amount = int(r["amount"] or 0)
        if r["part"] == "pupils":
            pupils[r["i"]] += amount
        elif r["part"] == "edge":
            edge[r["i"]] += amount
        else:
            full[r["length"]][r["i"]] += amount
    out, running, sums = [], 0, dict.fromkeys(full, 0)
    for i, (first, last) in enumerate(months):
        running += pupils[i]
        for n in sums:
            sums[n] += full[n][i]
        out.append((first, edge[i] + sums.get((last - first).days + 1, 0), running))
    return out


def _codes() -> tuple[list[int], list[str], list[int | None]]:
    """The post-16 code set as three arrays (code, group, months a later confirmation must
    follow to sustain it), from the data file on every call (it is cached by ap_schemas)."""
    rows = [r for r in destination_codes().values() if r.group is not None]
    months = sustain_months()
    return (
        [r.code for r in rows],
        [str(r.group) for r in rows],
        [months[r.sustain_as] if r.sustain_as else None for r in rows],
    )


# The destination groups as columns of the outcome summaries (names, not values: from the policy).
GROUPS = policy().destination_groups

# The outcome facts the summaries count (outcome_facts.py: each decided once in the projection):
# reviews and reintegrations in the period, every sustainment check, destinations from the
# period's start; reviews summed per key ({keys}: the provider and tier an outcome counts for,
# or 'all') and pupil ({review_pupil}: only where a narrowed page needs it).
_EVENTS = """
ev AS (
  SELECT 'v' AS kind, {keys}, {review_pupil} AS pupil, NULL AS rid, NULL::date AS occurred_at,
         NULL::uuid AS event_id, sum(possible_sessions) AS possible,
         sum(attended_sessions) AS attended, NULL::boolean AS sustained, NULL::int AS code
  FROM outcome_facts WHERE kind = 'review' AND occurred_at BETWEEN $1 AND $2 GROUP BY 2, 3, 4
  UNION ALL
  SELECT 'r', {keys}, pupil_id, reintegration_id, occurred_at, event_id, NULL, NULL, sustained,
         NULL
  FROM outcome_facts WHERE kind = 'reintegration' AND occurred_at BETWEEN $1 AND $2
  UNION ALL
  SELECT 'c', {keys}, pupil_id, reintegration_id, occurred_at, event_id, NULL, NULL, sustained,
         NULL
  FROM outcome_facts WHERE kind = 'check'
  UNION ALL
  SELECT 'd', {keys}, pupil_id, NULL, occurred_at, event_id, NULL, NULL, NULL, activity_code
  FROM outcome_facts WHERE kind = 'destination' AND occurred_at >= $1)"""

_UNSPLIT = {"keys": "'all' AS pkey, 'all' AS tkey", "review_pupil": "NULL::uuid", "check_keys": ""}

# Split by the provider and tier each outcome counts for (decided in the projection: the
# attribution rule); a narrowed page keeps the pupils with a placement the filters keep
# ({narrowed}); a key with only a sustainment check still has a row ({check_keys}).
_SPLIT = {
    "keys": "coalesce(provider_id, 'unknown') AS pkey, coalesce(tier::text, 'unknown') AS tkey",
    "review_pupil": "pupil_id",
    "check_keys": "UNION ALL SELECT DISTINCT pkey, tkey, NULL::numeric, NULL::numeric, NULL, NULL,"
    " false, 0 FROM keyed WHERE kind = 'c'",
}

_SUMMARY = f"""
WITH codes(code, grp, months) AS (SELECT * FROM unnest($3::int[], $4::text[], $5::int[])),
{{events}},
keyed AS NOT MATERIALIZED (SELECT * FROM ev WHERE {{narrowed}}),
d AS MATERIALIZED (
  SELECT pkey, tkey, pupil, occurred_at, event_id, codes.grp, codes.months
  FROM keyed LEFT JOIN codes USING (code) WHERE kind = 'd'),
latest_d AS (
  SELECT DISTINCT ON (pupil) * FROM d WHERE occurred_at <= $2 AND grp IS NOT NULL
  ORDER BY pupil, occurred_at DESC, event_id DESC),
decisive AS (
  SELECT DISTINCT ON (l.pupil) l.pupil, n.grp = l.grp AS same FROM latest_d l
  JOIN d n ON n.pupil = l.pupil AND (n.occurred_at, n.event_id) > (l.occurred_at, l.event_id)
  WHERE n.grp IS NOT NULL
    AND (n.grp <> l.grp OR n.occurred_at >= (l.occurred_at + make_interval(months => l.months)))
  ORDER BY l.pupil, n.occurred_at, n.event_id),
parts AS (
  SELECT pkey, tkey, sum(possible) AS possible, sum(attended) AS attended, NULL AS rid,
         NULL AS grp, false AS sustained, 0 AS unrecognised
  FROM keyed WHERE kind = 'v' GROUP BY pkey, tkey
  UNION ALL
  SELECT DISTINCT pkey, tkey, NULL::numeric, NULL::numeric, rid, NULL, coalesce(sustained, false), 0
  FROM keyed WHERE kind = 'r'
  UNION ALL
  SELECT l.pkey, l.tkey, NULL, NULL, NULL, l.grp, coalesce(x.same, false), 0
  FROM latest_d l LEFT JOIN decisive x USING (pupil)
  UNION ALL
  SELECT pkey, tkey, NULL, NULL, NULL, NULL, false,
         count(*) FILTER (WHERE occurred_at <= $2 AND grp IS NULL)
  FROM d GROUP BY pkey, tkey
  {{check_keys}})
SELECT {{grouping}} AS g, {{group_keys}},
  coalesce(sum(possible), 0) AS possible, coalesce(sum(attended), 0) AS attended,
  count(DISTINCT rid) AS reintegrations,
  count(DISTINCT rid) FILTER (WHERE sustained AND rid IS NOT NULL) AS sustained_reintegrations,
  {", ".join(f"count(*) FILTER (WHERE grp = '{g}') AS {g}" for g in GROUPS)},
  count(*) FILTER (WHERE grp = 'education_training' AND sustained) AS sustained_education_training,
  count(*) FILTER (WHERE grp = 'employment' AND sustained) AS sustained_employment,
  coalesce(sum(unrecognised), 0) AS unrecognised
FROM parts GROUP BY {{sets}}"""  # noqa: S608 (constants)


def _summary_sql(
    variant: dict[str, str], narrowed: str, grouping: str, keys: str, sets: str
) -> str:
    events = _EVENTS.format(keys=variant["keys"], review_pupil=variant["review_pupil"])
    return _SUMMARY.format(
        events=events, narrowed=narrowed, check_keys=variant["check_keys"], grouping=grouping,
        group_keys=keys, sets=sets,
    )  # fmt: skip


def _summary(r: asyncpg.Record) -> dict[str, Any]:
    """The outcomes summary answer from one row of sums."""
    sustained = r["sustained_reintegrations"]
    possible, attended = int(r["possible"]), int(r["attended"])
    counts = {g: r[g] for g in GROUPS}
    cohort = sum(counts.values()) - counts["excluded"]
    return {
        "reintegration": {"count": r["reintegrations"], "sustained": sustained},
        "attendance": {
            "possible_sessions": possible,
            "attended_sessions": attended,
            "rate": round(attended / possible, 4) if possible else None,
        },
        "destinations": {
            **counts,
            "participation_rate": round(counts["education_training"] / cohort, 4)
            if cohort else None,
            "sustained": {"education_training": r["sustained_education_training"],
                          "employment": r["sustained_employment"]},
            "unrecognised": int(r["unrecognised"] or 0),
            "other": counts["other_activity"],
        },
    }  # fmt: skip


async def outcomes_summary(conn: asyncpg.Connection, start: date, end: date) -> dict[str, Any]:
    """The outcomes summary over the outcome facts of the period (GET /v1/outcomes)."""
    sql = _summary_sql(_UNSPLIT, "true", "3", "NULL", "()")
    async with roomy(conn):
        row = await conn.fetchrow(sql, start, end, *_codes())
    assert row is not None  # an aggregate over the empty grouping set always answers a row
    return _summary(row)


@dataclass(frozen=True)
class OutcomeSplits:
    """The outcomes page's summaries: overall, and per provider and per tier by key."""

    overall: dict[str, Any]
    by_provider: dict[str, dict[str, Any]]
    by_tier: dict[str, dict[str, Any]]


async def outcome_splits(
    conn: asyncpg.Connection, start: date, end: date, narrow: FactScope | None = None
) -> OutcomeSplits:
    """The outcomes page's summaries from the same outcome facts, split by the provider and tier
    each outcome counts for: keys with any outcome get a row; `narrow` keeps the pupils with a
    placement it covers."""
    narrowed, args = "true", list[Any]()
    if narrow is not None:
        where, args = narrow.where(6)
        narrowed = f"ev.pupil IN (SELECT pupil_id FROM placement_facts WHERE {where})"  # noqa: S608
    sql = _summary_sql(
        _SPLIT, narrowed, "GROUPING(pkey, tkey)", "pkey, tkey", "GROUPING SETS ((), (pkey), (tkey))"
    )
    async with roomy(conn):
        rows = await conn.fetch(sql, start, end, *_codes(), *args)
    overall: dict[str, Any] = {}
    by_provider: dict[str, dict[str, Any]] = {}
    by_tier: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["g"] == 3:
            overall = _summary(r)
        elif r["g"] == 1:
            by_provider[r["pkey"]] = _summary(r)
        else:
            by_tier[r["tkey"]] = _summary(r)
    return OutcomeSplits(overall, by_provider, by_tier)


@dataclass(frozen=True)
class OverviewFigures:
    """What the overview shows: pupils in AP today (and those in unregistered provision, on
    part-time timetables, dual registered), pupils and placements today by tier, commissioner and
    provider, and pupils in AP each week of the period."""

    pupils: int
    unregistered: int
    part_time: int
    dual: int
    by_tier: list[dict[str, Any]]
    by_commissioner: list[dict[str, Any]]
    by_provider: list[dict[str, Any]]
    weekly: list[tuple[date, int]]


_TODAY = (
    f"WITH now AS (SELECT pupil_id, tier, commissioner, provider_id, sessions_per_week,"  # noqa: S608
    " placement_id::text IN (SELECT data->>'placement_id' FROM journey_events"
    f"  WHERE type = '{PLACED}' AND (data->>'dual_registered')::boolean) AS dual"
    " FROM placement_facts WHERE start_date <= $1 AND (end_date IS NULL OR end_date >= $1)"
    " AND {where})"
    " SELECT GROUPING(tier, commissioner, provider_id) AS g, tier::text AS tier, commissioner,"
    " provider_id, count(DISTINCT pupil_id) AS pupils, count(*) AS placements,"
    " count(DISTINCT pupil_id) FILTER (WHERE provider_id = ANY($2)) AS unregistered,"
    " count(DISTINCT pupil_id) FILTER (WHERE coalesce(nullif(sessions_per_week, 0), $3) < $3)"
    "  AS part_time,"
    " count(DISTINCT pupil_id) FILTER (WHERE dual) AS dual"
    " FROM now GROUP BY GROUPING SETS ((tier), (commissioner), (provider_id), ())"
)

# Placements in [$1, $2] (today and the period) as runs of the weeks from $3 to $4.
_WEEKS = (
    "w AS (SELECT pupil_id, (greatest(start_date, $3) - $3) / 7 AS lo,"
    " (least(coalesce(end_date, $4), $4) - $3) / 7 AS hi FROM placement_facts"
    " WHERE start_date <= $2 AND (end_date IS NULL OR end_date >= $1) AND {where}"
    " AND greatest(start_date, $3) <= least(coalesce(end_date, $4), $4)),"
)


async def overview_figures(
    conn: asyncpg.Connection,
    today: date,
    start: date,
    end: date,
    spans: Sequence[tuple[date, date]],
    unregistered: Sequence[str],
    scope: FactScope = EVERYTHING,
) -> OverviewFigures:
    """`pages.overview`'s figures: `unregistered` names the providers known to be unregistered."""
    where, args = scope.where(4)
    async with roomy(conn):
        rows = await conn.fetch(
            _TODAY.format(where=where), today, list(unregistered), policy().full_time_sessions,
            *args,
        )  # fmt: skip
        weekly: list[tuple[date, int]] = []
        if spans:
            where, args = scope.where(5)
            starts = await conn.fetch(
                f"WITH {_WEEKS.format(where=where)} {_RUNS.format(spans='w')}"  # noqa: S608
                " SELECT i, n FROM starts",
                min(start, today), max(end, today), spans[0][0], spans[-1][1], *args,
            )  # fmt: skip
            delta = dict.fromkeys(range(len(spans)), 0)
            for r in starts:
                delta[r["i"]] = int(r["n"])
            running = 0
            for i, (monday, _) in enumerate(spans):
                running += delta[i]
                weekly.append((monday, running))
    by: dict[int, list[dict[str, Any]]] = {3: [], 5: [], 6: []}
    total: Any = None
    for r in rows:
        if r["g"] == 7:
            total = r
        else:
            key = {3: r["tier"], 5: r["commissioner"], 6: r["provider_id"]}[r["g"]]
            by[r["g"]].append({"key": key, "pupils": r["pupils"], "placements": r["placements"]})
    tier, commissioner, provider = (sorted(by[g], key=lambda r: r["key"]) for g in (3, 5, 6))
    return OverviewFigures(
        total["pupils"], total["unregistered"], total["part_time"], total["dual"],
        tier, commissioner, provider, weekly,
    )  # fmt: skip


# The action list's clocks (clocks.pupil_clocks over every pupil) as rows (kind, pupil, since,
# detail, placement, provider, excluded_on): the placements and reintegrations whose clock has
# run out, and the exclusions whose sixth school day clocks.from_rows counts. $1 today,
# $2 and $3 the last complete half term (or NULL), $4-$6 the limits in days, $7 the providers
# not registered, $8 the pupils in scope (NULL: all), $9 the full-time sessions a week;
# {provider} and {narrowed} the scope.
_CLOCKS = f"""
WITH px AS (
  SELECT DISTINCT pupil_id FROM journey_events
  WHERE type = '{REFERRED}' AND data->>'reason' = 'permanent_exclusion'),
cf AS MATERIALIZED (
  SELECT * FROM placement_facts
  WHERE ($8::uuid[] IS NULL OR pupil_id = ANY($8)) AND {{provider}}
    AND (end_date IS NULL OR end_date >= $1 OR pupil_id IN (SELECT pupil_id FROM px))),
facts AS MATERIALIZED (SELECT * FROM cf WHERE {{narrowed}}),
pupils AS (SELECT pupil_id FROM cf WHERE {{narrowed}}),
ev AS NOT MATERIALIZED (
  SELECT * FROM journey_events
  WHERE ($8::uuid[] IS NULL OR pupil_id = ANY($8))
    AND ({{all_pupils}} OR pupil_id IN (SELECT pupil_id FROM pupils))),
open AS (
  SELECT f.pupil_id, f.placement_id, f.provider_id, f.start_date, f.sessions_per_week,
         f.notice_given_on, f.notice_late, max(r.occurred_at) AS last_review,
         coalesce(bool_or(r.occurred_at BETWEEN $2 AND $3), false) AS in_half_term
  FROM facts f LEFT JOIN ev r ON r.type = '{REVIEWED}' AND r.pupil_id = f.pupil_id
    AND r.data->>'placement_id' = f.placement_id::text
  WHERE f.start_date <= $1 AND (f.end_date IS NULL OR f.end_date >= $1)
  GROUP BY f.pupil_id, f.placement_id, f.provider_id, f.start_date, f.sessions_per_week,
           f.notice_given_on, f.notice_late)
SELECT 'review' AS kind, pupil_id::text, $3::date AS since,
       'no review ' || to_char($2::date, 'YYYY-MM-DD') || ' to ' || to_char($3::date, 'YYYY-MM-DD')
       AS detail, placement_id::text, provider_id, NULL::date AS excluded_on
FROM open WHERE $2::date IS NOT NULL AND start_date < $2 AND NOT in_half_term
UNION ALL
SELECT 'review', pupil_id::text, coalesce(last_review, start_date) + $4::int,
       'last review ' || coalesce(to_char(last_review, 'YYYY-MM-DD'), 'never'),
       placement_id::text, provider_id, NULL
FROM open WHERE NOT ($2::date IS NOT NULL AND start_date < $2 AND NOT in_half_term)
  AND coalesce(last_review, start_date) + $4::int < $1
UNION ALL
SELECT 'part_time', pupil_id::text, start_date + $5::int,
       sessions_per_week || ' sessions a week since ' || to_char(start_date, 'YYYY-MM-DD'),
       placement_id::text, provider_id, NULL
FROM open WHERE coalesce(nullif(sessions_per_week, 0), $9) < $9 AND $1 > start_date + $5::int
UNION ALL
SELECT 'unregistered', pupil_id::text, start_date, 'the provider is not registered',
       placement_id::text, provider_id, NULL
FROM open WHERE provider_id = ANY($7)
UNION ALL
SELECT 'late_notice', pupil_id::text, start_date,
       'notice given ' || to_char(notice_given_on, 'YYYY-MM-DD') || ' for a start on '
       || to_char(start_date, 'YYYY-MM-DD'), placement_id::text, provider_id, NULL
FROM open WHERE notice_late
UNION ALL
SELECT 'sustainment', e.pupil_id::text, e.occurred_at + $6::int,
       'reintegrated ' || to_char(e.occurred_at, 'YYYY-MM-DD') || ' to ' || (e.data->>'school_urn'),
       NULL, NULL, NULL
FROM ev e WHERE e.type = '{REINTEGRATED}' AND $1 > e.occurred_at + $6::int
  AND NOT EXISTS (SELECT 1 FROM ev c WHERE c.type = '{CHECKED}' AND c.pupil_id = e.pupil_id
                  AND c.data->>'reintegration_id' = e.data->>'reintegration_id')
UNION ALL
SELECT 'sixth_day', e.pupil_id::text, NULL, NULL, NULL, NULL, (e.data->>'excluded_on')::date
FROM ev e WHERE e.type = '{REFERRED}'
  AND e.data->>'reason' = 'permanent_exclusion' AND coalesce(e.data->>'excluded_on', '') <> ''
  AND NOT EXISTS (SELECT 1 FROM ev w WHERE w.type = '{WITHDRAWN}'
                  AND w.pupil_id = e.pupil_id AND w.data->>'referral_id' = e.data->>'referral_id')
  AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.pupil_id = e.pupil_id AND f.start_date <= $1
                  AND f.start_date >= (e.data->>'excluded_on')::date)"""  # noqa: S608


async def clock_rows(
    conn: asyncpg.Connection,
    today: date,
    half_term: tuple[date, date] | None,
    unregistered: Sequence[str],
    pupils: Sequence[Any] | None,
    own_provider: str | None = None,
    narrow: FactScope | None = None,
    rule: Policy | None = None,
) -> list[asyncpg.Record]:
    """The rows `clocks.from_rows` turns into the action list. `half_term`: the last complete
    half term (the review clock); `pupils` the pupils in scope (None: all); `own_provider` a
    provider's own placements; `narrow` the page's filters; the limits are the policy's."""
    rule = policy() if rule is None else rule
    args: list[Any] = []
    provider = "true"
    if own_provider is not None:
        args.append(own_provider)
        provider = "provider_id = $10"
    narrowed, all_pupils = "true", "true"
    if narrow is not None:
        where, more = narrow.where(10 + len(args))
        args += more
        narrowed = f"pupil_id IN (SELECT pupil_id FROM cf WHERE {where})"  # noqa: S608
        all_pupils = "false"
    sql = _CLOCKS.format(provider=provider, narrowed=narrowed, all_pupils=all_pupils)
    h0, h1 = half_term or (None, None)
    async with roomy(conn):
        return list(
            await conn.fetch(
                sql, today, h0, h1, rule.review_interval_days, rule.part_time_limit_days,
                rule.sustainment_window_days, list(unregistered),
                None if pupils is None else list(pupils), rule.full_time_sessions, *args,
            )
        )  # fmt: skip


# Sufficiency's demand (sufficiency.demand over every pupil's events): each pupil's referrals
# with the last referred, decided and withdrawn events of each and its first placed.v1 start
# ($1 the period's first day, $2 its last); a pupil's phase on a day from the date of birth
# and the phase bands ($3-$5), 'unknown' without one.
_PHASE = (
    "coalesce((SELECT b.phase FROM bands b WHERE ({year}) BETWEEN b.from_year AND b.to_year"
    " ORDER BY b.i LIMIT 1), 'unknown')"
)
_YEAR = (
    "(extract(year FROM {on})::int - (extract(month FROM {on})::int < 9)::int)"
    " - (extract(year FROM dob)::int - (extract(month FROM dob)::int < 9)::int) - 5"
)


def _phase(on: str) -> str:
    return (
        f"CASE WHEN dob IS NULL THEN 'unknown' ELSE {_PHASE.format(year=_YEAR.format(on=on))} END"
    )


def _last(type_: str, columns: str) -> str:
    return (
        f"SELECT DISTINCT ON (pupil_id, data->>'referral_id') pupil_id,"  # noqa: S608 (constants)
        f" coalesce(data->>'referral_id', 'None') AS rid, {columns} FROM journey_events"
        f" WHERE type = '{type_}' ORDER BY pupil_id, data->>'referral_id',"
        " occurred_at DESC, event_id DESC"
    )


_DEMAND = f"""
WITH bands(from_year, to_year, phase, i) AS (
  SELECT * FROM unnest($3::int[], $4::int[], $5::text[]) WITH ORDINALITY),
births AS (
  SELECT pupil_id, (details->>'date_of_birth')::date AS dob FROM pupil_identity
  WHERE coalesce(details->>'date_of_birth', '') <> ''),
referred AS ({
    _last(
        REFERRED,
        "(data->>'referred_on')::date AS on_, (data->>'tier_requested')::int AS tier",
    )
}),
decided AS ({
    _last(
        DECIDED,
        "(data->>'decided_on')::date AS decided_on, data->>'decision' AS decision",
    )
}),
withdrawn AS ({_last(WITHDRAWN, "occurred_at AS withdrawn_on")}),
started AS (
  SELECT pupil_id, coalesce(data->>'referral_id', 'None') AS rid,
         min((data->>'start_date')::date) AS started_on
  FROM journey_events WHERE type = '{PLACED}' GROUP BY 1, 2),
r AS (
  SELECT r.pupil_id, r.on_, r.tier, to_char(r.on_, 'YYYY-MM') AS month,
         {_phase("r.on_")} AS phase,
         r.on_ BETWEEN $1 AND $2 AS inside, d.decided_on - r.on_ AS to_decision,
         s.started_on - r.on_ AS to_start,
         (d.decision = 'accepted' AND r.on_ <= $2 AND d.decided_on <= $2
          AND NOT coalesce(w.withdrawn_on <= $2, false)
          AND NOT coalesce(s.started_on <= $2, false)) AS waiting
  FROM referred r
  LEFT JOIN births USING (pupil_id)
  LEFT JOIN decided d USING (pupil_id, rid)
  LEFT JOIN withdrawn w USING (pupil_id, rid)
  LEFT JOIN started s USING (pupil_id, rid))
SELECT GROUPING(month, tier, phase) AS g, month, tier, phase,
  count(DISTINCT pupil_id) FILTER (WHERE inside) AS referrals,
  array_agg(to_decision) FILTER (WHERE inside AND to_decision IS NOT NULL) AS to_decision,
  array_agg(to_start) FILTER (WHERE inside AND to_start IS NOT NULL) AS to_start,
  count(DISTINCT pupil_id) FILTER (WHERE waiting) AS waiting
FROM r GROUP BY GROUPING SETS ((tier, phase), (month, tier, phase), ())"""  # noqa: S608

# Pupils in each provider's places on the last day ($1): the placements of placed.v1 events
# (those sufficiency reads; a placed.v2 placement has no cost), by the pupil's phase that day.
_USED = f"""
WITH bands(from_year, to_year, phase, i) AS (
  SELECT * FROM unnest($2::int[], $3::int[], $4::text[]) WITH ORDINALITY),
births AS (
  SELECT pupil_id, (details->>'date_of_birth')::date AS dob FROM pupil_identity
  WHERE coalesce(details->>'date_of_birth', '') <> '')
SELECT provider_id, tier, {_phase("$1::date")} AS phase, count(DISTINCT pupil_id) AS pupils
FROM placement_facts LEFT JOIN births USING (pupil_id)
WHERE annual_cost_pence IS NOT NULL AND start_date <= $1 AND (end_date IS NULL OR end_date >= $1)
  AND ($5::text IS NULL OR provider_id = $5)
GROUP BY 1, 2, 3"""  # noqa: S608


async def places_used(
    conn: asyncpg.Connection, end: date, provider: str | None = None
) -> dict[tuple[str, int, str], int]:
    """Pupils in places on `end` per (provider, tier, phase): sufficiency's places used."""
    rows = await conn.fetch(_USED, end, *policy().phase_arrays(), provider)
    return {(r["provider_id"], r["tier"], r["phase"]): r["pupils"] for r in rows}


async def sufficiency_counts(conn: asyncpg.Connection, start: date, end: date) -> Demand:
    """`sufficiency.demand` over every pupil, from SQL."""
    async with roomy(conn):
        rows = await conn.fetch(_DEMAND, start, end, *policy().phase_arrays())
        used = await places_used(conn, end)
    referrals, to_decision, to_start, waiting, monthly = {}, {}, {}, {}, {}
    waiting_pupils = 0
    for r in rows:
        if r["g"] == 7:
            waiting_pupils = r["waiting"]
        elif r["g"] == 4:
            key = (r["tier"], r["phase"])
            if r["referrals"]:
                referrals[key] = r["referrals"]
                to_decision[key] = list(r["to_decision"] or [])
                to_start[key] = list(r["to_start"] or [])
            if r["waiting"]:
                waiting[key] = r["waiting"]
        elif r["referrals"]:
            monthly[(r["month"], r["tier"], r["phase"])] = r["referrals"]
    return Demand(referrals, to_decision, to_start, waiting, waiting_pupils, monthly, used)
