"""Reports computed where the data is (issue 8 item 3): the cost rule, the outcomes summary and
the dashboard's figures as SQL aggregates over the read-model tables, so a report over 50,000
pupils moves a few rows, not every placement and event, into Python.

Each query gives exactly what the pure functions of reports.py, destinations.py and ui/pages.py
give over the same rows (tests/test_report_queries.py compares them on a generated cohort):
- costs in integer pence, never a float: a placement's cost is annual x days, rounded half away
  from zero to the penny as `(2x + 365) div 730` on the integer product, then summed;
- destination groups and sustain months come from `codesets/destinations.json` (ap_schemas),
  passed in as arrays on every query, so the data file stays the one place an authority edits;
- group keys are sorted in Python (code point order, as `sorted` does), never by a collation.
Parameters are always bind parameters; the SQL text is assembled from constants only.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from ap_schemas.codes import destination_codes, sustain_months

from .destinations import GROUPS

REVIEWED = "journey.placement.reviewed.v1"
REINTEGRATED = "journey.pupil.reintegrated.v1"
CHECKED = "journey.reintegration.sustainment_checked.v1"
DESTINATION = "journey.destination.confirmed.v1"
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


def _cost_row(r: asyncpg.Record) -> dict[str, Any]:
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
    where, args = scope.where(5)
    rows = await conn.fetch(
        "WITH f AS MATERIALIZED ("  # noqa: S608 (constants)
        f" {_CLIPPED} AND {where}), inside AS (SELECT * FROM f WHERE days > 0)"
        " SELECT GROUPING(commissioner, provider_id, tier) AS g, commissioner, provider_id,"
        " tier::text AS tier, count(*) AS placements, count(DISTINCT pupil_id) AS pupils,"
        f" coalesce(sum({_PENCE}), 0) AS cost_pence,"
        " count(*) FILTER (WHERE a IS NULL) AS unknown, NULL::date AS month"
        " FROM inside GROUP BY GROUPING SETS ((commissioner), (provider_id), (tier), ())"
        " UNION ALL"
        " SELECT -1, NULL, NULL, NULL, 0, count(DISTINCT pupil_id),"
        f" coalesce(sum({_PENCE}), 0), 0, m.first FROM"
        " unnest($3::date[], $4::date[]) AS m(first, last) LEFT JOIN LATERAL ("
        " SELECT pupil_id, a, least(coalesce(end_date, m.last), m.last)"
        " - greatest(start_date, m.first) + 1 AS days FROM f"
        " WHERE f.days > 0) x ON x.days > 0 GROUP BY m.first",
        start, end, [m[0] for m in months], [m[1] for m in months], *args,
    )  # fmt: skip
    by: dict[int, list[dict[str, Any]]] = {3: [], 5: [], 6: []}
    pupils, monthly = 0, []
    for r in rows:
        if r["g"] == -1:
            monthly.append((r["month"], int(r["cost_pence"]), r["pupils"]))
        elif r["g"] == 7:
            pupils = r["pupils"]
        else:
            key = (
                r["commissioner"] if r["g"] == 3 else r["provider_id"] if r["g"] == 5 else r["tier"]
            )
            by[r["g"]].append(_cost_row({**dict(r), "key": key}))  # type: ignore[arg-type]
    return MoneyFigures(
        *(sorted(by[g], key=lambda r: r["key"]) for g in (3, 5, 6)),
        pupils=pupils,
        monthly=sorted(monthly),
    )


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


# The outcome events `repository.outcome_events` reads, with the fields the summary needs: reviews
# and reintegrations in the period, every sustainment check, destinations from the period's start.
_EVENTS = f"""
ev AS (
  SELECT event_id, type, occurred_at, coalesce(data->>'pupil_id', 'None') AS pupil,
         data->>'placement_id' AS placement, data->>'reintegration_id' AS rid,
         (data->'attendance'->>'possible_sessions')::bigint AS possible,
         (data->'attendance'->>'attended_sessions')::bigint AS attended,
         (data->>'sustained')::boolean AS sustained, (data->>'activity_code')::int AS code
  FROM journey_events
  WHERE type IN ('{REVIEWED}', '{REINTEGRATED}') AND occurred_at BETWEEN $1 AND $2
  UNION ALL
  SELECT event_id, type, occurred_at, coalesce(data->>'pupil_id', 'None'), NULL,
         data->>'reintegration_id', NULL, NULL, (data->>'sustained')::boolean, NULL
  FROM journey_events WHERE type = '{CHECKED}'
  UNION ALL
  SELECT event_id, type, occurred_at, coalesce(data->>'pupil_id', 'None'),
         data->>'placement_id', NULL, NULL, NULL, NULL, (data->>'activity_code')::int
  FROM journey_events WHERE type = '{DESTINATION}' AND occurred_at >= $1
)"""  # noqa: S608 (constants)

# Unsplit: every event counts under one key.
_KEYED_ALL = "keyed AS (SELECT ev.*, 'all' AS pkey, 'all' AS tkey FROM ev)"

# Split by provider and tier as the outcomes page does (`pages._attribute`): an event belongs to
# the placement it names, else to its pupil's latest placement, else to "unknown"; a narrowed
# page keeps the pupils with a placement the filters keep ($6...).
_KEYED_SPLIT = """
facts AS MATERIALIZED (
  SELECT * FROM placement_facts WHERE pupil_id::text IN (SELECT pupil FROM ev)),
latest AS (
  SELECT DISTINCT ON (pupil_id) pupil_id::text AS pupil, provider_id, tier FROM facts
  ORDER BY pupil_id, start_date DESC, placement_id DESC),
keyed AS (
  SELECT ev.*, coalesce(pf.provider_id, l.provider_id, 'unknown') AS pkey,
         coalesce(pf.tier::text, l.tier::text, 'unknown') AS tkey
  FROM ev LEFT JOIN facts pf ON pf.placement_id::text = ev.placement
  LEFT JOIN latest l ON l.pupil = ev.pupil
  WHERE {narrowed})"""

_SUMMARY = f"""
WITH codes(code, grp, months) AS (SELECT * FROM unnest($3::int[], $4::text[], $5::int[])),
{_EVENTS},
{{keyed}},
reint AS (
  SELECT DISTINCT rid, pkey, tkey FROM keyed WHERE type = '{REINTEGRATED}'),
check_all AS (
  SELECT DISTINCT ON (rid) rid, sustained FROM keyed WHERE type = '{CHECKED}'
  ORDER BY rid, occurred_at DESC, event_id DESC),
check_p AS (
  SELECT DISTINCT ON (pkey, rid) pkey, rid, sustained FROM keyed WHERE type = '{CHECKED}'
  ORDER BY pkey, rid, occurred_at DESC, event_id DESC),
check_t AS (
  SELECT DISTINCT ON (tkey, rid) tkey, rid, sustained FROM keyed WHERE type = '{CHECKED}'
  ORDER BY tkey, rid, occurred_at DESC, event_id DESC),
d AS (
  SELECT keyed.*, codes.grp, codes.months FROM keyed LEFT JOIN codes USING (code)
  WHERE type = '{DESTINATION}'),
latest_d AS (
  SELECT DISTINCT ON (pupil) * FROM d WHERE occurred_at <= $2 AND grp IS NOT NULL
  ORDER BY pupil, occurred_at DESC, event_id DESC),
decisive AS (
  SELECT DISTINCT ON (l.pupil) l.pupil, n.grp = l.grp AS same FROM latest_d l
  JOIN d n ON n.pupil = l.pupil AND (n.occurred_at, n.event_id) > (l.occurred_at, l.event_id)
  WHERE n.grp IS NOT NULL
    AND (n.grp <> l.grp OR n.occurred_at >= (l.occurred_at + make_interval(months => l.months)))
  ORDER BY l.pupil, n.occurred_at, n.event_id),
facts_of AS (
  SELECT 'a' AS part, pkey, tkey, possible, attended, NULL::text AS rid, NULL::text AS grp,
         false AS s_all, false AS s_p, false AS s_t, 0 AS unrecognised
  FROM keyed WHERE type = '{REVIEWED}'
  UNION ALL
  SELECT 'r', r.pkey, r.tkey, NULL, NULL, r.rid, NULL, coalesce(ca.sustained, false),
         coalesce(cp.sustained, false), coalesce(ct.sustained, false), 0
  FROM reint r LEFT JOIN check_all ca USING (rid)
  LEFT JOIN check_p cp ON cp.rid = r.rid AND cp.pkey = r.pkey
  LEFT JOIN check_t ct ON ct.rid = r.rid AND ct.tkey = r.tkey
  UNION ALL
  SELECT 'd', l.pkey, l.tkey, NULL, NULL, NULL, l.grp, coalesce(x.same, false), false, false, 0
  FROM latest_d l LEFT JOIN decisive x USING (pupil)
  UNION ALL
  SELECT 'u', pkey, tkey, NULL, NULL, NULL, NULL, false, false, false, 1
  FROM d WHERE occurred_at <= $2 AND grp IS NULL
  UNION ALL
  SELECT 'k', pkey, tkey, NULL, NULL, NULL, NULL, false, false, false, 0 FROM keyed)
SELECT {{grouping}} AS g, {{keys}},
  coalesce(sum(possible), 0) AS possible, coalesce(sum(attended), 0) AS attended,
  count(DISTINCT rid) AS reintegrations,
  count(DISTINCT rid) FILTER (WHERE s_all) AS sustained_all,
  count(DISTINCT rid) FILTER (WHERE s_p) AS sustained_p,
  count(DISTINCT rid) FILTER (WHERE s_t) AS sustained_t,
  {", ".join(f"count(*) FILTER (WHERE grp = '{g}') AS {g}" for g in GROUPS)},
  count(*) FILTER (WHERE grp = 'education_training' AND s_all) AS sustained_education_training,
  count(*) FILTER (WHERE grp = 'employment' AND s_all) AS sustained_employment,
  sum(unrecognised) AS unrecognised
FROM facts_of GROUP BY {{sets}}"""  # noqa: S608 (constants)


def _summary(r: asyncpg.Record, sustained: int) -> dict[str, Any]:
    """The `reports.outcomes_summary` answer from one row of sums."""
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
    """`reports.outcomes_summary` over the outcome events of the period (GET /v1/outcomes)."""
    sql = _SUMMARY.format(keyed=_KEYED_ALL, grouping="3", keys="NULL", sets="()")
    row = await conn.fetchrow(sql, start, end, *_codes())
    assert row is not None  # an aggregate over the empty grouping set always answers a row
    return _summary(row, row["sustained_all"])


@dataclass(frozen=True)
class OutcomeSplits:
    """The outcomes page's summaries: overall, and per provider and per tier by key."""

    overall: dict[str, Any]
    by_provider: dict[str, dict[str, Any]]
    by_tier: dict[str, dict[str, Any]]


async def outcome_splits(
    conn: asyncpg.Connection, start: date, end: date, narrow: FactScope | None = None
) -> OutcomeSplits:
    """What `pages.outcomes` computes from the events and their pupils' placements: keys with
    any outcome event get a row; `narrow` keeps the pupils with a placement it covers."""
    narrowed, args = "true", []
    if narrow is not None:
        where, args = narrow.where(6)
        narrowed = f"ev.pupil IN (SELECT pupil_id::text FROM facts WHERE {where})"  # noqa: S608
    sql = _SUMMARY.format(
        keyed=_KEYED_SPLIT.format(narrowed=narrowed),
        grouping="GROUPING(pkey, tkey)",
        keys="pkey, tkey",
        sets="GROUPING SETS ((), (pkey), (tkey))",
    )
    rows = await conn.fetch(sql, start, end, *_codes(), *args)
    overall: dict[str, Any] = {}
    by_provider: dict[str, dict[str, Any]] = {}
    by_tier: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["g"] == 3:
            overall = _summary(r, r["sustained_all"])
        elif r["g"] == 1:
            by_provider[r["pkey"]] = _summary(r, r["sustained_p"])
        else:
            by_tier[r["tkey"]] = _summary(r, r["sustained_t"])
    return OutcomeSplits(overall, by_provider, by_tier)
