"""The AP census (LA-funded AP): its day, its period, its scope and one record per pupil. Pure.

Scope (docs/returns.md): a pupil is in the return when, at any time in the census period (the day
after the previous census day up to and including this census day), they were in a placement that
this LA arranged (commissioner = local authority) AND funds (`funded_by`, defaulting to the
commissioner), with a provider that is not state AP (PRU, AP academy, AP free school), and their
date of birth lies in the census's range. One record per pupil: their latest such placement in the
period (latest start), with its leaving date when it ended on or before the census day. A placement
arranged by a school never appears: the school returns it in the school census.

Every output code and the birth-date rule are data (tagmap.json), never constants here.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from ap_chassis.errors import InvalidCommandError

from ..placement_facts import PlacementFact

Identity = Mapping[str, Any]
Provider = Mapping[str, Any]


@cache
def tagmap() -> dict[str, Any]:
    """tagmap.json: element names, output codes, the birth-date range and their marks."""
    return dict(json.loads(resources.files(__package__).joinpath("tagmap.json").read_text()))


def code(name: str, value: str) -> str:
    """The output code for one of our values in code set `name` (tagmap.json)."""
    return str(tagmap()["codes"][name]["values"][value])


def census_day(year: int) -> date:
    """The third Thursday of January of `year` (V)."""
    first = date(year, 1, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7) + timedelta(weeks=2)


def check_census_date(census_date: date, *, allow_any_date: bool) -> None:
    """Only the census day of its year, unless the caller asks for a rehearsal on any date."""
    day = census_day(census_date.year)
    if census_date != day and not allow_any_date:
        raise InvalidCommandError(
            f"{census_date.isoformat()} is not a census day: the {census_date.year} AP census day"
            f" is {day.isoformat()} (the third Thursday of January); add allow_any_date=true"
            " for a rehearsal",
            field="census_date",
        )


def census_period(census_date: date) -> tuple[date, date]:
    """From the day after the previous census day up to and including `census_date`."""
    return census_day(census_date.year - 1) + timedelta(days=1), census_date


def birth_range(census_year: int) -> tuple[date, date]:
    """Births accepted by the census of `census_year` (2025: 1 Sep 2005 - 31 Dec 2022)."""
    rule = tagmap()["birth_range"]
    shift = (census_year - int(rule["census_year"])) * int(rule["shift_years_per_census_year"])
    first, last = date.fromisoformat(rule["from"]), date.fromisoformat(rule["to"])
    return first.replace(year=first.year + shift), last.replace(year=last.year + shift)


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def payer(fact: PlacementFact, funded_by: Mapping[str, str | None]) -> str:
    """Who pays for a placement: as recorded, else the commissioner's kind."""
    return funded_by.get(fact.placement_id) or fact.commissioner.split(":", 1)[0]


def is_state_ap(provider: Provider | None) -> bool:
    return bool(provider and provider.get("state_ap"))


def in_scope(
    fact: PlacementFact,
    *,
    funded_by: Mapping[str, str | None],
    providers: Mapping[str, Provider],
    period: tuple[date, date],
) -> bool:
    """LA-arranged, LA-funded, not state AP, and open at some time in the period."""
    start, end = period
    return (
        fact.commissioner == "local_authority"
        and payer(fact, funded_by) == "local_authority"
        and not is_state_ap(providers.get(fact.provider_id))
        and fact.start_date <= end
        and (fact.end_date is None or fact.end_date >= start)
    )


def latest_by_pupil(facts: Iterable[PlacementFact]) -> dict[str, PlacementFact]:
    """Each pupil's latest placement: the latest start (then placement id, for a stable tie)."""
    latest: dict[str, PlacementFact] = {}
    for fact in sorted(facts, key=lambda f: (f.start_date, f.placement_id)):
        latest[fact.pupil_id] = fact
    return latest


@dataclass(frozen=True)
class Selection:
    """Who is in the return, and who was held back and why (for the validation report)."""

    census_date: date
    records: dict[str, PlacementFact] = field(default_factory=dict)  # pupil_id -> placement
    identity_missing: dict[str, PlacementFact] = field(default_factory=dict)
    out_of_age: dict[str, PlacementFact] = field(default_factory=dict)


def select(
    facts: Iterable[PlacementFact],
    *,
    funded_by: Mapping[str, str | None],
    identities: Mapping[str, Identity],
    providers: Mapping[str, Provider],
    census_date: date,
) -> Selection:
    period = census_period(census_date)
    first_birth, last_birth = birth_range(census_date.year)
    chosen = latest_by_pupil(
        f for f in facts
        if in_scope(f, funded_by=funded_by, providers=providers, period=period)
    )  # fmt: skip
    selection = Selection(census_date)
    for pupil_id, fact in sorted(chosen.items()):
        who = identities.get(pupil_id)
        if who is None:
            selection.identity_missing[pupil_id] = fact
        elif not first_birth <= date.fromisoformat(who["date_of_birth"]) <= last_birth:
            selection.out_of_age[pupil_id] = fact
        else:
            selection.records[pupil_id] = fact
    return selection


def leaving_date(fact: PlacementFact, census_date: date) -> date | None:
    """The end date when the placement had ended by the census day; open on the day otherwise."""
    return fact.end_date if fact.end_date is not None and fact.end_date <= census_date else None


def provider_identifier(provider: Provider | None) -> dict[str, str]:
    """Exactly one of URN (preferred), UKPRN, or AP setting type: the other two stay blank."""
    provider = provider or {}
    if provider.get("urn"):
        return {"provider_urn": str(provider["urn"])}
    if provider.get("ukprn"):
        return {"provider_ukprn": str(provider["ukprn"])}
    if provider.get("setting_type"):
        return {"setting_type": code("setting_type", str(provider["setting_type"]))}
    return {}


def fsm_periods_in(who: Identity, period: tuple[date, date]) -> list[dict[str, str | None]]:
    """The pupil's FSM eligibility periods that overlap the census period."""
    start, end = period
    out = []
    for p in who.get("fsm_periods") or []:
        first = date.fromisoformat(p["start_date"])
        last = date.fromisoformat(p["end_date"]) if p.get("end_date") else None
        if first <= end and (last is None or last >= start):
            out.append({"start_date": first.isoformat(),
                        "end_date": last.isoformat() if last else None})  # fmt: skip
    return out


def record(
    fact: PlacementFact, who: Identity, provider: Provider | None, census_date: date
) -> dict[str, Any]:
    """One pupil's census record, by item name (tagmap.json gives each item its element)."""
    codes = tagmap()["codes"]
    sessions = fact.sessions_per_week or 0
    full_time = sessions >= int(codes["full_time_sessions_per_week"]["value"])
    left = leaving_date(fact, census_date)

    def flag(value: Any) -> str | None:
        return None if value is None else code("boolean", "true" if value else "false")

    return {
        "upn": who.get("upn"),
        "uln": who.get("uln"),
        "surname": who.get("surname"),
        "forename": who.get("forename"),
        "middle_names": who.get("middle_names"),
        "preferred_surname": who.get("preferred_surname"),
        "date_of_birth": who.get("date_of_birth"),
        "sex": code("sex", who["sex"]) if who.get("sex") else None,
        "ethnicity": who.get("ethnicity"),
        "fsm_eligible": flag(who.get("fsm_eligible")),
        "fsm_periods": fsm_periods_in(who, census_period(census_date)),
        "service_child": flag(who.get("service_child")),
        "sen_provision": code("sen_provision", who["sen_provision"])
        if who.get("sen_provision") else None,
        "address_lines": list(who.get("address_lines") or []),
        "postcode": who.get("postcode"),
        "uprn": who.get("uprn"),
        **provider_identifier(provider),
        "primary_reason": code("primary_reason", fact.reason or "other"),
        "entry_date": fact.start_date.isoformat(),
        "leaving_date": left.isoformat() if left else None,
        "attendance_pattern": code("attendance_pattern", "full_time" if full_time else "part_time"),
        "sessions_per_week": sessions or None,
        "previous_school_urn": fact.home_school_urn,
    }  # fmt: skip


def records(
    selection: Selection, identities: Mapping[str, Identity], providers: Mapping[str, Provider]
) -> list[dict[str, Any]]:
    """The return's records, one per pupil, ordered by UPN (stable for golden files)."""
    out = [
        record(fact, identities[pupil_id], providers.get(fact.provider_id), selection.census_date)
        for pupil_id, fact in selection.records.items()
    ]
    return sorted(out, key=lambda r: (str(r["upn"]), r["entry_date"]))
