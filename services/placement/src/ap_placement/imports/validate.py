"""Turn the rows of a file into the commands they stand for, or say per row why not. Pure.

Validation reuses what the API itself checks, never a copy:
- placement commands: this service's request models (`PlacementIn`, `PlacementEndIn`,
  `ProviderIn`) and domain checks (`check_provider`, `check_new_placement`, `end`);
- referral commands: the referral service owns them and this service cannot import its code, so
  rows are checked here against the shared contract's models of what a referral records
  (`PupilIdentityRecordedV1`: the UPN's check letter and LA code, sex, names; `PupilReferredV1`:
  reason, tier, referrer) and the referral service applies its own rules when the row is applied,
  answering per row with the same codes as its API.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ap_chassis.errors import DomainError
from ap_schemas.events import PupilIdentityRecordedV1, PupilReferredV1, ReferralDecidedV1
from pydantic import BaseModel, ValidationError

from .. import domain
from ..models import PlacementEndIn, PlacementIn, ProviderIn
from .layouts import Layout, census_codes
from .parse import Cell, Formula, Row

NIL = UUID(int=0)  # stands in for an id that only applying the row will know


@dataclass(frozen=True)
class Issue:
    row: int | None
    field: str
    message: str


class RowRefusedError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Scope:
    """Who imports: the LA (any row) or a school (its own rows only)."""

    role: str
    urn: str | None  # the school's URN (school role)
    commissioning_urn: str | None = None  # school_census_ap: the school that arranged the AP


@dataclass(frozen=True)
class RowPlan:
    """The commands one row stands for, in the order they are applied."""

    row: int
    pupil_key: str  # rows of one pupil are applied in file order
    referral: dict[str, Any] | None = None  # body of POST /v1/referrals (referral service)
    referral_id: UUID | None = None  # or an existing referral
    decision: dict[str, Any] | None = None  # body of POST /v1/referrals/{id}/decision
    provider_id: UUID | None = None  # a registered provider...
    provider: ProviderIn | None = None  # ...or one named by URN/UKPRN/setting type
    placement: PlacementIn | None = None  # referral_id and provider_id are NIL until applied
    placement_id: UUID | None = None  # an existing placement to end
    end: PlacementEndIn | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass
class Validated:
    plans: list[RowPlan]
    issues: list[Issue]
    rows: int
    refused: set[int]


# cells ---------------------------------------------------------------------------------


def text(cell: Cell, *, upper: bool = False) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, datetime | date):
        return cell.isoformat()[:10]
    value = str(cell).strip()
    return (value.upper() if upper else value) or None


def day(cell: Cell) -> date | None:
    if cell is None or isinstance(cell, date):
        return cell.date() if isinstance(cell, datetime) else cell
    value = text(cell) or ""
    try:
        if "/" in value:
            dd, mm, yyyy = value.split("/")
            if len(yyyy) != 4:
                raise ValueError
            return date(int(yyyy), int(mm), int(dd))
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date: write YYYY-MM-DD or dd/mm/yyyy") from None


def number(cell: Cell) -> int | None:
    if cell is None:
        return None
    if isinstance(cell, bool):
        raise ValueError("not a whole number")
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    try:
        return int(str(cell).strip())
    except ValueError:
        raise ValueError("not a whole number") from None


def flag(cell: Cell) -> bool | None:
    if cell is None or isinstance(cell, bool):
        return cell
    value = (text(cell) or "").lower()
    if value in ("true", "yes", "y", "1"):
        return True
    if value in ("false", "no", "n", "0"):
        return False
    raise ValueError("not true or false")


class Cells:
    """One row's cells by column name, converted on reading; a bad cell names its column."""

    def __init__(self, values: dict[str, Cell]) -> None:
        self.values = values

    def get(self, name: str, convert: Callable[[Cell], Any] = text) -> Any:
        try:
            return convert(self.values.get(name))
        except ValueError as exc:
            raise RowRefusedError(name, str(exc)) from None

    def upper(self, name: str) -> str | None:
        return text(self.values.get(name), upper=True)

    def any(self, *names: str) -> bool:
        return any(self.values.get(n) is not None for n in names)


def check(model: type[BaseModel], data: dict[str, Any], fields: dict[str, str]) -> Any:
    """Validate `data` with `model`; the first error names the file's column for the field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_input=False)[0]
        loc = [str(p) for p in err["loc"]]
        name = fields.get(".".join(loc[:2])) or fields.get(loc[0] if loc else "", "row")
        raise RowRefusedError(name, str(err["msg"])) from None


# the commands of a row -----------------------------------------------------------------

REFERRAL_FIELDS = {
    "upn": "upn", "forename": "forename", "surname": "surname", "middle_names": "middle_names",
    "preferred_surname": "preferred_surname", "date_of_birth": "date_of_birth", "sex": "sex",
    "ethnicity": "ethnicity", "sen_provision": "sen_provision", "fsm_eligible": "fsm_eligible",
    "postcode": "postcode", "home_school_urn": "home_school_urn", "referrer": "referrer_urn",
    "uln": "uln", "address_lines": "address_line_1", "uprn": "uprn",
    "service_child": "service_child", "fsm_periods": "fsm_start",
    "referrer.kind": "referrer_kind", "referrer.urn": "referrer_urn", "reason": "reason",
    "tier_requested": "tier_requested", "referred_on": "referred_on", "excluded_on": "excluded_on",
    "route": "route",
}  # fmt: skip
PLACEMENT_FIELDS = {
    "commissioner": "commissioner_urn", "commissioner.kind": "commissioner_kind",
    "commissioner.urn": "commissioner_urn", "tier": "tier", "start_date": "start_date",
    "planned_end_date": "planned_end_date", "sessions_per_week": "sessions_per_week",
    "cost": "cost_pence", "cost.amount_pence": "cost_pence", "cost.per": "cost_per",
    "dual_registered": "dual_registered", "funded_by": "funded_by", "phase": "phase",
    "override_reason": "override_reason", "notice_given_on": "notice_given_on",
    "off_site_direction": "off_site_direction",
}  # fmt: skip
PROVIDER_FIELDS = {
    "name": "provider_name", "urn": "provider_urn", "ukprn": "provider_ukprn",
    "setting_type": "provider_setting_type", "registered": "provider_registered",
}  # fmt: skip
END_FIELDS = {"end_date": "end_date", "reason": "end_reason"}
DECISION_FIELDS = {"decision": "decision", "decided_on": "decided_on", "reason": "decision_reason"}


def referral_command(body: dict[str, Any], fields: dict[str, str]) -> dict[str, Any]:
    """The referral body, checked against the contract's models of what a referral records."""
    body = {k: v for k, v in body.items() if v is not None}
    identity = {k: body.get(k) for k in PupilIdentityRecordedV1.model_fields if k in body}
    check(
        PupilIdentityRecordedV1,
        {**identity, "pupil_id": NIL, "occurred_at": body.get("referred_on")},
        fields,
    )
    referred = {k: body.get(k) for k in PupilReferredV1.model_fields if k in body}
    check(PupilReferredV1, {**referred, "pupil_id": NIL, "referral_id": NIL,
                            "occurred_at": body.get("referred_on")}, fields)  # fmt: skip
    ready: dict[str, Any] = json.loads(json.dumps(body, default=str))  # dates as ISO
    return ready


def placement_command(data: dict[str, Any], fields: dict[str, str]) -> PlacementIn:
    cmd: PlacementIn = check(PlacementIn, {**data, "referral_id": NIL, "provider_id": NIL}, fields)
    try:
        domain.check_new_placement(
            open_placement=None, start_date=cmd.start_date, planned_end_date=cmd.planned_end_date
        )
    except DomainError as exc:
        raise RowRefusedError(fields.get(exc.field or "", "start_date"), exc.detail) from None
    return cmd


def end_command(
    data: dict[str, Any], fields: dict[str, str], placement: PlacementIn | None
) -> PlacementEndIn:
    cmd: PlacementEndIn = check(PlacementEndIn, data, fields)
    if placement is not None:  # the same rule the end command meets when it is applied
        try:
            domain.check_end(start_date=placement.start_date, end_date=cmd.end_date)
        except DomainError as exc:
            raise RowRefusedError(fields.get(exc.field or "", "end_date"), exc.detail) from None
    return cmd


def provider_command(data: dict[str, Any], fields: dict[str, str]) -> ProviderIn:
    cmd: ProviderIn = check(ProviderIn, data, fields)
    given = [k for k in ("urn", "ukprn", "setting_type") if data.get(k)]
    if len(given) > 1:
        raise RowRefusedError(fields[given[1]], "name the provider by exactly one identifier")
    try:
        domain.check_provider(urn=cmd.urn, ukprn=cmd.ukprn, setting_type=cmd.setting_type)
    except DomainError as exc:
        raise RowRefusedError(fields.get(exc.field or "", "provider"), exc.detail) from None
    return cmd


def provider_name(*, urn: str | None, ukprn: str | None, setting_type: str | None) -> str:
    """The name a provider registered by an import gets when the file names none."""
    if urn:
        return f"AP provider URN {urn}"
    if ukprn:
        return f"AP provider UKPRN {ukprn}"
    names = census_codes()["setting_type_names"]
    return f"{names.get(setting_type, setting_type)} ({setting_type})"


# layouts -------------------------------------------------------------------------------


def census_row(line: int, c: Cells, scope: Scope) -> RowPlan:
    codes = census_codes()
    school = scope.commissioning_urn
    assert school is not None  # the edge requires it for this layout
    reason_code = c.upper("placementreason")
    if reason_code not in codes["placementreason"]:
        raise RowRefusedError(
            "placementreason", f"not a placement reason: use {', '.join(codes['placementreason'])}"
        )
    if c.upper("apattendancepattern") not in codes["apattendancepattern"]:
        raise RowRefusedError(
            "apattendancepattern", f"use {' or '.join(codes['apattendancepattern'])}"
        )
    entry = c.get("entrydate", day)
    defaults = codes["defaults"]
    referral = referral_command({
        "upn": c.upper("upn"), "forename": c.get("forename"), "surname": c.get("surname"),
        "date_of_birth": c.get("date_of_birth", day), "sex": c.upper("sex"),
        "sen_provision": c.upper("senprovisionentry"), "home_school_urn": school,
        "referrer": {"kind": "school", "urn": school},
        "reason": codes["placementreason"][reason_code],
        "tier_requested": defaults["tier"], "referred_on": entry, "route": "school_arranged",
    }, {**REFERRAL_FIELDS, "sen_provision": "senprovisionentry", "referred_on": "entrydate",
        "reason": "placementreason"})  # fmt: skip
    identifiers = {"urn": c.get("urn"), "ukprn": c.get("ukprn"),
                   "setting_type": c.upper("apsettingtype")}  # fmt: skip
    if sum(1 for v in identifiers.values() if v) != 1:
        raise RowRefusedError("urn", "give exactly one of urn, ukprn or apsettingtype")
    provider = provider_command(
        {**identifiers, "name": provider_name(**identifiers),
         "registered": bool(identifiers["urn"])},
        {"urn": "urn", "ukprn": "ukprn", "setting_type": "apsettingtype", "name": "urn"},
    )  # fmt: skip
    fields = {
        **PLACEMENT_FIELDS,
        "start_date": "entrydate",
        "sessions_per_week": "apsessionsperweek",
        "notice_given_on": "noticegivenon",
        "off_site_direction": "offsitedirection",
    }
    placement = placement_command({
        "commissioner": {"kind": "school", "urn": school}, "tier": defaults["tier"],
        "start_date": entry, "sessions_per_week": c.get("apsessionsperweek", number),
        "cost": cost(c), "dual_registered": defaults["dual_registered"],
        "notice_given_on": c.get("noticegivenon", day),
        "off_site_direction": c.get("offsitedirection", flag),
    }, fields)  # fmt: skip
    end = None
    if c.any("leavingdate"):
        end = end_command(
            {"end_date": c.get("leavingdate", day), "reason": defaults["end_reason"]},
            {"end_date": "leavingdate", "reason": "leavingdate"},
            placement,
        )
    return RowPlan(line, pupil_key=str(referral["upn"]), referral=referral,
                   provider=provider, placement=placement, end=end)  # fmt: skip


def cost(c: Cells) -> dict[str, Any] | None:
    if not c.any("cost_pence", "cost_per"):
        return None
    if not c.any("cost_pence"):
        raise RowRefusedError("cost_pence", "give cost_pence with cost_per, or neither")
    if not c.any("cost_per"):
        raise RowRefusedError("cost_per", "give cost_per with cost_pence, or neither")
    return {"amount_pence": c.get("cost_pence", number), "per": c.get("cost_per")}


def journey_row(line: int, c: Cells, scope: Scope) -> RowPlan:
    school = scope.urn if scope.role == "school" else None
    plan = RowPlan(line, pupil_key=f"row:{line}")
    referral_id = c.get("referral_id", uuid_of)
    referral_columns = [f for f in REFERRAL_FIELDS.values() if c.any(f)]
    if referral_id is not None and referral_columns:
        raise RowRefusedError(referral_columns[0], "give referral_id or the referral's fields")
    if referral_id is None and c.any("upn", "forename", "surname", "reason", "referred_on"):
        kind = c.get("referrer_kind")
        if school is not None and (kind != "school" or c.get("referrer_urn") != school):
            raise RowRefusedError("referrer_urn", "a school imports only its own referrals")
        referral = referral_command({
            "upn": c.upper("upn"), "forename": c.get("forename"), "surname": c.get("surname"),
            "middle_names": c.get("middle_names"), "preferred_surname": c.get("preferred_surname"),
            "date_of_birth": c.get("date_of_birth", day), "sex": c.upper("sex"),
            "ethnicity": c.upper("ethnicity"), "sen_provision": c.upper("sen_provision"),
            "fsm_eligible": c.get("fsm_eligible", flag), "postcode": c.get("postcode"),
            "home_school_urn": c.get("home_school_urn"), "uln": c.get("uln"),
            "address_lines": [a for a in (c.get(f"address_line_{i}") for i in (1, 2, 3)) if a]
            or None, "uprn": c.get("uprn"), "service_child": c.get("service_child", flag),
            "fsm_periods": [{"start_date": c.get("fsm_start", day),
                             "end_date": c.get("fsm_end", day)}]
            if c.any("fsm_start") else None,
            "referrer": {"kind": kind, "urn": c.get("referrer_urn")},
            "reason": c.get("reason"), "tier_requested": c.get("tier_requested", number),
            "referred_on": c.get("referred_on", day), "excluded_on": c.get("excluded_on", day),
            "route": c.get("route"),
        }, REFERRAL_FIELDS)  # fmt: skip
        plan = RowPlan(line, pupil_key=f"upn:{referral['upn']}", referral=referral)
    elif referral_id is not None:
        plan = RowPlan(line, pupil_key=f"referral:{referral_id}", referral_id=referral_id)
    decision = None
    if c.any("decision", "decided_on", "decision_reason"):
        if school is not None:
            raise RowRefusedError("decision", "triage decisions are the LA's: leave blank")
        if plan.referral is None and plan.referral_id is None:
            raise RowRefusedError("decision", "a decision needs a referral on the row")
        data = {"decision": c.get("decision"), "decided_on": c.get("decided_on", day),
                "reason": c.get("decision_reason")}  # fmt: skip
        ids = {"occurred_at": data["decided_on"] or date.min, "pupil_id": NIL, "referral_id": NIL}
        check(ReferralDecidedV1, {**data, **ids}, DECISION_FIELDS)
        decision = json.loads(json.dumps({k: v for k, v in data.items() if v}, default=str))
    placement = provider = provider_id = None
    placement_columns = (
        "start_date", "tier", "sessions_per_week", "commissioner_kind", "provider_id",
        "provider_urn", "provider_ukprn", "provider_setting_type",
    )  # fmt: skip
    if c.any(*placement_columns):
        if plan.referral is None and plan.referral_id is None:
            raise RowRefusedError("referral_id", "a placement needs a referral on the row")
        commissioner = {"kind": c.get("commissioner_kind"), "urn": c.get("commissioner_urn")}
        if school is not None and (commissioner != {"kind": "school", "urn": school}):
            raise RowRefusedError("commissioner_urn", "a school imports only its own placements")
        placement = placement_command({
            "commissioner": {k: v for k, v in commissioner.items() if v is not None},
            "tier": c.get("tier", number), "start_date": c.get("start_date", day),
            "planned_end_date": c.get("planned_end_date", day),
            "sessions_per_week": c.get("sessions_per_week", number), "cost": cost(c),
            "dual_registered": c.get("dual_registered", flag),
            "funded_by": c.get("funded_by"), "phase": c.get("phase"),
            "override_reason": c.get("override_reason"),
            "notice_given_on": c.get("notice_given_on", day),
            "off_site_direction": c.get("off_site_direction", flag),
        }, PLACEMENT_FIELDS)  # fmt: skip
        provider_id = c.get("provider_id", uuid_of)
        if provider_id is None:
            named: dict[str, str | None] = {
                "urn": c.get("provider_urn"), "ukprn": c.get("provider_ukprn"),
                "setting_type": c.upper("provider_setting_type"),
            }  # fmt: skip
            registered = c.get("provider_registered", flag)
            provider = provider_command({
                **named, "name": c.get("provider_name") or provider_name(**named),
                "registered": bool(named["urn"]) if registered is None else registered,
            }, PROVIDER_FIELDS)  # fmt: skip
    placement_id = c.get("placement_id", uuid_of)
    end = None
    if c.any("end_date", "end_reason"):
        if placement is None and placement_id is None:
            raise RowRefusedError("end_date", "an end needs a placement on the row or placement_id")
        if placement is not None and placement_id is not None:
            raise RowRefusedError("placement_id", "give placement_id or a new placement")
        end = end_command(
            {"end_date": c.get("end_date", day), "reason": c.get("end_reason")},
            END_FIELDS,
            placement,
        )
        if placement_id is not None:
            plan = RowPlan(line, pupil_key=f"placement:{placement_id}", referral=plan.referral,
                           referral_id=plan.referral_id)  # fmt: skip
    elif placement_id is not None:
        raise RowRefusedError("placement_id", "placement_id is only for ending a placement")
    if plan.referral is None and plan.referral_id is None and placement_id is None:
        raise RowRefusedError("upn", "the row has no referral, placement or end")
    return RowPlan(
        line, pupil_key=plan.pupil_key, referral=plan.referral, referral_id=plan.referral_id,
        decision=decision, provider_id=provider_id, provider=provider, placement=placement,
        placement_id=placement_id, end=end,
    )  # fmt: skip


def uuid_of(cell: Cell) -> UUID | None:
    value = text(cell)
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise ValueError("not an id (UUID)") from None


ROW_BUILDERS = {"school_census_ap": census_row, "journey": journey_row}


def validate(
    layout: Layout,
    columns: tuple[str | None, ...],
    rows: Iterable[Row],
    scope: Scope,
    *,
    on_row: Callable[[int], None] = lambda _: None,
) -> Validated:
    """Every row checked; duplicates of an earlier row refused, naming it."""
    build = ROW_BUILDERS[layout.name]
    result = Validated([], [], 0, set())
    seen: dict[str, int] = {}
    for row in rows:
        result.rows += 1
        on_row(result.rows)
        values = {name: cell for name, cell in zip(columns, row.cells, strict=True) if name}
        issue = None
        if row.problem is not None:
            issue = Issue(row.number, "row", row.problem)
        elif formulas := [n for n, v in values.items() if isinstance(v, Formula)]:
            issue = Issue(row.number, formulas[0], "formula cells are refused: enter the value")
        else:
            digest = fingerprint(values)
            if digest in seen:
                issue = Issue(row.number, "row", f"duplicate of row {seen[digest]}")
            else:
                seen[digest] = row.number
                try:
                    result.plans.append(build(row.number, Cells(values), scope))
                except RowRefusedError as exc:
                    issue = Issue(row.number, exc.field, exc.message)
        if issue is not None:
            result.issues.append(issue)
            result.refused.add(row.number)
    return result


def fingerprint(values: dict[str, Cell]) -> str:
    canonical = json.dumps(
        {k: text(v, upper=True) for k, v in sorted(values.items())}, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
