"""The AP census return (LA-funded AP, domain.md): one row per pupil in an LA-commissioned
placement open on the census date. Pure: the caller loads facts, identities and providers.

Output code values for reasons and attendance pattern are unconfirmed and live in
codesets/census.json, so an authority can correct them without a release.
"""

import csv
import io
import json
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from .reports import PlacementFact

COLUMNS = (
    "upn", "uln", "surname", "forename", "middle_names", "preferred_surname", "date_of_birth",
    "sex", "ethnicity", "fsm_eligible", "sen_provision", "postcode",
    "provider_urn", "provider_ukprn", "setting_type", "primary_reason", "entry_date",
    "leaving_date", "associated_school_urn", "attendance_pattern", "sessions_per_week",
    "previous_school_urn",
)  # fmt: skip


@cache
def codes() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("codesets", "census.json").read_text()
    return dict(json.loads(text))


def census_day(year: int) -> date:
    """The third Thursday of January of `year`."""
    first = date(year, 1, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(weeks=2)


def in_scope(fact: PlacementFact, census_date: date) -> bool:
    """LA-commissioned and open on the census date."""
    return (
        fact.commissioner == "local_authority"
        and fact.start_date <= census_date
        and (fact.end_date is None or fact.end_date >= census_date)
    )


def provider_identifier(provider: dict[str, Any] | None) -> dict[str, str]:
    """Exactly one of URN, UKPRN or setting type (the last only without the other two)."""
    provider = provider or {}
    if provider.get("urn"):
        return {"provider_urn": provider["urn"]}
    if provider.get("ukprn"):
        return {"provider_ukprn": provider["ukprn"]}
    return {"setting_type": provider.get("setting_type") or ""}


def rows(
    facts: list[PlacementFact],
    identities: dict[str, dict[str, Any]],
    providers: dict[str, dict[str, Any]],
    census_date: date,
) -> list[dict[str, str]]:
    """One row per pupil, from the latest-starting placement in scope on the census date."""
    by_pupil: dict[str, PlacementFact] = {}
    for fact in sorted((f for f in facts if in_scope(f, census_date)), key=lambda f: f.start_date):
        by_pupil[fact.pupil_id] = fact
    cs = codes()
    out = []
    for pupil_id, fact in sorted(by_pupil.items()):
        who = identities.get(pupil_id, {})
        sessions = fact.sessions_per_week or 0
        pattern = "full_time" if sessions >= cs["full_time_sessions_per_week"] else "part_time"
        row = {column: "" for column in COLUMNS}
        row.update({k: _text(who.get(k)) for k in COLUMNS if k in who})
        row.update(provider_identifier(providers.get(fact.provider_id)))
        row.update({
            "primary_reason": cs["primary_reason"].get(fact.reason or "other", "OTH"),
            "entry_date": fact.start_date.isoformat(),
            "leaving_date": fact.end_date.isoformat() if fact.end_date else "",
            "associated_school_urn": fact.home_school_urn or "",
            "attendance_pattern": cs["attendance_pattern"][pattern],
            "sessions_per_week": str(sessions or ""),
            "previous_school_urn": fact.home_school_urn or "",
        })  # fmt: skip
        out.append(row)
    return out


def to_csv(census_rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(census_rows)
    return buffer.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)
