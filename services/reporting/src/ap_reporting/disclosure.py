"""Small-number suppression for aggregate answers (caseload, costs, outcomes). Pure.

For the `analyst` and `auditor` roles, a count of pupils, placements, reintegrations or
destinations that is small by the policy's rule (under 5, 0 included: policy.py) is answered as
`null`, and the answer says so:
`suppressed: true` and `suppressed_fields` (dotted paths). LA officers get every figure
(`suppressed: false`). Beyond the small cells themselves:
- caseload shows a total beside each breakdown, so when exactly one cell of a breakdown is
  suppressed, the next smallest is suppressed too (else total minus the rest gives it away);
- a cost row is suppressed whole (placements, pupils and cost) when it covers under 5 pupils
  or placements: the cost of one pupil's placement is theirs;
- reintegrations: `sustained` is suppressed when it, or the not-sustained remainder, is small;
- a rate beside counts (destinations' `participation_rate`) is suppressed when the counts it
  summarises total under 5.
Attendance session counts are sessions, not people, and are answered as they are.
"""

from typing import Any

from .policy import policy

SUPPRESSED_ROLES = frozenset({"analyst", "auditor"})


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _small(value: Any) -> bool:
    return _count(value) and policy().small(value)


def small(value: Any) -> bool:
    """A count under the threshold (0 included): withheld from the suppressed roles."""
    return _small(value)


def hidden_cells(cells: dict[str, Any], total_shown: bool) -> set[str]:
    """The cells of a breakdown withheld, secondary suppression included (as in `caseload`)."""
    out: list[str] = []
    _breakdown(cells, "", total_shown, out)
    return {k[1:] for k in out}


def _breakdown(
    cells: dict[str, Any], path: str, total_shown: bool, out: list[str]
) -> dict[str, Any]:
    hidden = {k for k, v in cells.items() if _small(v)}
    shown = sorted((v, k) for k, v in cells.items() if _count(v) and k not in hidden)
    if total_shown and len(hidden) == 1 and shown:
        hidden.add(shown[0][1])  # secondary: the total would reveal a lone suppressed cell
    out.extend(f"{path}.{k}" for k in sorted(hidden))
    return {k: (None if k in hidden else v) for k, v in cells.items()}


def caseload(answer: dict[str, Any], out: list[str]) -> dict[str, Any]:
    total_shown = not _small(answer["total"])
    if not total_shown:
        out.append("total")
    return {
        **answer,
        "total": answer["total"] if total_shown else None,
        "by_status": _breakdown(answer["by_status"], "by_status", total_shown, out),
        "by_tier": _breakdown(answer["by_tier"], "by_tier", total_shown, out),
    }


def costs(answer: dict[str, Any], out: list[str]) -> dict[str, Any]:
    rows = []
    for i, row in enumerate(answer["rows"]):
        if _small(row.get("pupils")) or _small(row.get("placements")):
            hidden = [k for k in _ROW_COUNTS if k in row]
            out.extend(f"rows.{i}.{k}" for k in hidden)
            row = {**row, **dict.fromkeys(hidden), "suppressed": True}
        rows.append(row)
    result = {**answer, "rows": rows}
    if "placements_cost_unknown" in answer and _small(answer["placements_cost_unknown"]):
        out.append("placements_cost_unknown")
        result["placements_cost_unknown"] = None
    return result


_ROW_COUNTS = ("placements", "pupils", "cost_pence", "placements_cost_unknown")


def outcomes(answer: dict[str, Any], out: list[str]) -> dict[str, Any]:
    result = dict(answer)
    reint = answer.get("reintegration")
    if isinstance(reint, dict) and _count(reint.get("count")):
        count, sustained = reint["count"], reint.get("sustained")
        hide_count = _small(count)
        hide_sustained = hide_count or (
            _count(sustained) and (_small(sustained) or _small(count - sustained))
        )
        result["reintegration"] = {**reint, "count": None if hide_count else count,
                                   "sustained": None if hide_sustained else sustained}  # fmt: skip
        out.extend(["reintegration.count"] if hide_count else [])
        out.extend(["reintegration.sustained"] if hide_sustained else [])
    dest = answer.get("destinations")
    if isinstance(dest, dict):
        counted = sum(v for v in dest.values() if _count(v))
        cells = _breakdown({k: v for k, v in dest.items() if _count(v)}, "destinations", False, out)
        rates = {k: v for k, v in dest.items() if isinstance(v, float) or (v is None)}
        if policy().small(counted):
            out.extend(f"destinations.{k}" for k, v in rates.items() if v is not None)
            rates = dict.fromkeys(rates)
        result["destinations"] = {k: cells.get(k, rates.get(k)) for k in dest}
    return result


def for_role(role: str, kind: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The answer as this role may see it, with `suppressed` and `suppressed_fields`."""
    if role not in SUPPRESSED_ROLES:
        return {**answer, "suppressed": False, "suppressed_fields": []}
    out: list[str] = []
    shaped = {"caseload": caseload, "costs": costs, "outcomes": outcomes}[kind](answer, out)
    return {**shaped, "suppressed": bool(out), "suppressed_fields": out}
