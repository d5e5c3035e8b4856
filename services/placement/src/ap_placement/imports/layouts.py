"""The two import layouts (docs/http-api.md#bulk-import): columns, example row, validation lists.

Pure.

- `school_census_ap`: the school census AP module as a school's MIS exports it
  (docs/returns.md#school-census-ap-module), one row per placement the school arranged; the
  commissioning school is the importer.
- `journey`: the platform's own template, every field of the referral, decision, placement and
  end commands, one row per placement (or per referral without a placement yet).

Headers match in any case and order, ignoring spaces, `_` and `-` ("Date of Birth" is
`date_of_birth`). Code values the census spells its own way live in school_census_ap.json.
"""

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, get_args

from ap_schemas.codes import (
    CostPer,
    Decision,
    EndReason,
    Ethnicity,
    ReferralReason,
    SenProvision,
    SettingType,
    Sex,
)

from .parse import FileRefusedError

YES_NO = ("true", "false")


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    choices: tuple[str, ...] = ()
    example: Any = None
    note: str = ""


@dataclass(frozen=True)
class Layout:
    name: str
    columns: tuple[Column, ...]
    ignored: tuple[str, ...] = ()  # known headers the platform does not use

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def normalise(header: str) -> str:
    return "".join(ch for ch in header.lower() if ch not in " _-\t\ufeff")


@cache
def census_codes() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("school_census_ap.json").read_text()
    return dict(json.loads(text))


def _codes(literal: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in get_args(literal))


def school_census_ap() -> Layout:
    codes = census_codes()
    return Layout("school_census_ap", (
        Column("upn", True, example="B801200005001", note="13 characters, check letter first"),
        Column("forename", True, example="Sam"),
        Column("surname", True, example="Example"),
        Column("date_of_birth", True, example="04/03/2012", note="YYYY-MM-DD or dd/mm/yyyy"),
        Column("sex", True, _codes(Sex), example="U"),
        Column("urn", example=None, note="the AP's URN; exactly one of urn, ukprn, apsettingtype"),
        Column("ukprn", example=None, note="the AP's UKPRN when it has no URN"),
        Column("apsettingtype", choices=_codes(SettingType), example="OOT",
               note="only when the AP has neither URN nor UKPRN"),
        Column("entrydate", True, example="14/09/2026"),
        Column("leavingdate", example=None, note="blank while the placement is open"),
        Column("placementreason", True, tuple(codes["placementreason"]), example="SUS"),
        Column("apattendancepattern", True, tuple(codes["apattendancepattern"]), example="PT"),
        Column("apsessionsperweek", True, example=4, note="1 to 10"),
        Column("senprovisionentry", True, _codes(SenProvision), example="K"),
        Column("cost_pence", example=None, note="optional: the census carries no cost"),
        Column("cost_per", choices=_codes(CostPer), example=None, note="with cost_pence"),
        Column("offsitedirection", choices=YES_NO, example=None,
               note="optional: the school directed the pupil off-site"),
        Column("noticegivenon", example=None,
               note="optional: when the school gave notice (2 school days before entry)"),
    ), ignored=("senprovisionleaving", "applacementpostcode", "companynumber"))  # fmt: skip


def journey() -> Layout:
    return Layout("journey", (
        Column("referral_id", note="an existing referral; leave blank to refer the pupil here"),
        Column("upn", example="B801200005001"),
        Column("forename", example="Sam"),
        Column("surname", example="Example"),
        Column("middle_names"),
        Column("preferred_surname"),
        Column("date_of_birth", example="2012-03-04"),
        Column("sex", choices=_codes(Sex), example="U"),
        Column("ethnicity", choices=_codes(Ethnicity), example="NOBT"),
        Column("sen_provision", choices=_codes(SenProvision), example="K"),
        Column("fsm_eligible", choices=YES_NO, example="false"),
        Column("postcode", example="YO1 7HH"),
        Column("uln", note="unique learner number, 10 digits, where assigned"),
        Column("address_line_1"),
        Column("address_line_2"),
        Column("address_line_3"),
        Column("uprn", note="unique property reference number"),
        Column("service_child", choices=YES_NO),
        Column("fsm_start", note="start of the current free-school-meals eligibility"),
        Column("fsm_end", note="its end; blank while eligible"),
        Column("home_school_urn", example="123456"),
        Column("referrer_kind", choices=("school", "local_authority"), example="local_authority"),
        Column("referrer_urn", note="the referring school's URN (referrer_kind school)"),
        Column("reason", choices=_codes(ReferralReason), example="suspension"),
        Column("tier_requested", choices=("1", "2", "3"), example=2),
        Column("referred_on", example="2026-09-07"),
        Column("excluded_on", note="required for permanent_exclusion"),
        Column("route", choices=("la_arranged", "school_arranged"), example="la_arranged",
               note="school_arranged: the referring school arranged the AP (no LA decision)"),
        Column("decision", choices=_codes(Decision), example="accepted",
               note="the LA's triage decision, when already made"),
        Column("decided_on", example="2026-09-08"),
        Column("decision_reason"),
        Column("provider_id", note="a registered provider; or name it by urn/ukprn/setting type"),
        Column("provider_urn"),
        Column("provider_ukprn"),
        Column("provider_setting_type", choices=_codes(SettingType), example="OOT"),
        Column("provider_name", example="Riverside Tuition",
               note="used when the provider is registered by this import"),
        Column("provider_registered", choices=YES_NO, example="false"),
        Column("commissioner_kind", choices=("local_authority", "school"),
               example="local_authority"),
        Column("commissioner_urn", note="the commissioning school's URN"),
        Column("tier", choices=("1", "2", "3"), example=2),
        Column("start_date", example="2026-09-14", note="blank: no placement on this row"),
        Column("planned_end_date", example="2027-03-31"),
        Column("sessions_per_week", example=8),
        Column("cost_pence", example=6500, note="blank when the cost is not known"),
        Column("cost_per", choices=_codes(CostPer), example="session"),
        Column("dual_registered", choices=YES_NO, example="false"),
        Column("funded_by", choices=("local_authority", "school", "other"),
               note="who pays; blank: the commissioner"),
        Column("phase", choices=("primary", "secondary", "post_16"),
               note="counts against the provider's capacity"),
        Column("override_reason", note="LA only: place with a provider not approved"),
        Column("notice_given_on", note="school-arranged AP: when the school gave notice"),
        Column("off_site_direction", choices=YES_NO, note="school-arranged AP by direction"),
        Column("placement_id", note="end an existing placement (with end_date)"),
        Column("end_date", example=None, note="blank while the placement is open"),
        Column("end_reason", choices=_codes(EndReason), example=None),
    ))  # fmt: skip


LAYOUTS = {"school_census_ap": school_census_ap, "journey": journey}


def layout(name: str) -> Layout:
    return LAYOUTS[name]()


def match_headers(layout: Layout, headers: tuple[str, ...]) -> tuple[str | None, ...]:
    """Each header's column name (None for a known ignored one); FileRefusedError otherwise."""
    by_norm = {normalise(c.name): c.name for c in layout.columns}
    ignored = {normalise(n) for n in layout.ignored}
    matched: list[str | None] = []
    unknown, seen = [], set()
    for header in headers:
        key = normalise(header)
        if key in ignored:
            matched.append(None)
            continue
        name = by_norm.get(key)
        if name is None:
            unknown.append(header or "(blank)")
        elif name in seen:
            raise FileRefusedError(f"the header {header!r} appears twice", field=name)
        else:
            seen.add(name)
        matched.append(name)
    if unknown:
        raise FileRefusedError(
            f"unknown headers for the {layout.name} layout: {', '.join(unknown)};"
            f" expected some of: {', '.join(layout.names)}",
            field="headers",
        )
    missing = [c.name for c in layout.columns if c.required and c.name not in seen]
    if missing:
        raise FileRefusedError(
            f"missing headers for the {layout.name} layout: {', '.join(missing)}",
            field="headers",
        )
    if layout.name == "school_census_ap" and not seen & {"urn", "ukprn", "apsettingtype"}:
        raise FileRefusedError(
            "the school_census_ap layout needs a urn, ukprn or apsettingtype column",
            field="headers",
        )
    return tuple(matched)
