"""The AP census validation report, run before submission. Pure.

In the manner of DfE validation: an ERROR must be fixed before the return is submitted; a QUERY
must be checked and may be right. Each issue names the pupil by `pupil_id` and the `field`, with a
stable `code` (our own codes: DfE's rule numbers for the AP census were not found) and a message
that never echoes a name, a date of birth, a UPN or an address.

A pupil in scope whose identity has not arrived (journey.identity is a separate topic) is an error,
never silently dropped; a pupil held back because their date of birth is outside the census range
is a query, so a wrong date of birth is noticed.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

from ap_schemas.upn import UpnError, is_temporary, validate_upn

from ..placement_facts import PlacementFact
from .census import (
    Identity,
    Provider,
    Selection,
    age_on,
    birth_range,
    leaving_date,
    tagmap,
)

Issue = dict[str, str]

MANDATORY = (("forename", "forename"), ("surname", "surname"), ("date_of_birth", "date of birth"),
             ("sex", "sex"), ("sen_provision", "SEN provision"))  # fmt: skip


def _issue(pupil_id: str, field: str, code: str, message: str) -> Issue:
    return {"pupil_id": pupil_id, "field": field, "code": code, "message": message}


def _identity_issues(pupil_id: str, who: Identity, census_date: date) -> tuple[list[Issue], ...]:
    errors: list[Issue] = []
    queries: list[Issue] = []
    upn = who.get("upn")
    if not upn:
        errors.append(_issue(pupil_id, "upn", "upn_missing", "UPN is missing"))
    else:
        try:
            validate_upn(str(upn))
            if is_temporary(str(upn)):
                queries.append(_issue(pupil_id, "upn", "upn_temporary",
                                      "UPN is temporary: replace it with the permanent UPN"
                                      " when it is known"))  # fmt: skip
        except UpnError as exc:
            errors.append(_issue(pupil_id, "upn", "upn_invalid", f"UPN is invalid: {exc}"))
    for field, label in MANDATORY:
        if not who.get(field):
            errors.append(_issue(pupil_id, field, f"{field}_missing", f"{label} is missing"))
    if who.get("sex") and who["sex"] not in tagmap()["codes"]["sex"]["values"]:
        errors.append(_issue(pupil_id, "sex", "sex_invalid", "sex is not F, M or U"))
    born = who.get("date_of_birth")
    if born and not who.get("uln"):
        age = age_on(date.fromisoformat(born), census_date)
        if age >= int(tagmap()["uln_from_age"]["value"]):
            queries.append(_issue(pupil_id, "uln", "uln_missing",
                                  f"pupil is {age}: a ULN is expected where one has been"
                                  " assigned (14 and over)"))  # fmt: skip
    if not who.get("postcode"):
        queries.append(_issue(pupil_id, "postcode", "postcode_missing", "home postcode missing"))
    for p in who.get("fsm_periods") or []:
        if p.get("end_date") and p["end_date"] < p["start_date"]:
            errors.append(_issue(pupil_id, "fsm_periods", "fsm_period_order",
                                 "an FSM period ends before it starts"))  # fmt: skip
    return errors, queries


def _placement_issues(
    pupil_id: str, fact: PlacementFact, who: Identity, provider: Provider | None, census_date: date
) -> tuple[list[Issue], ...]:
    errors: list[Issue] = []
    queries: list[Issue] = []
    if provider is None:
        errors.append(_issue(pupil_id, "provider_id", "provider_unknown",
                             f"provider {fact.provider_id} has not been registered in reporting"
                             " yet"))  # fmt: skip
    else:
        given = [k for k in ("urn", "ukprn", "setting_type") if provider.get(k)]
        if not given:
            errors.append(_issue(pupil_id, "provider", "provider_identifier_missing",
                                 f"provider {fact.provider_id} has no URN, UKPRN or AP setting"
                                 " type"))  # fmt: skip
        elif len(given) > 1:
            queries.append(_issue(pupil_id, "provider", "provider_identifier_several",
                                  f"provider {fact.provider_id} has {' and '.join(given)}: only"
                                  f" the {given[0]} is returned"))  # fmt: skip
    if fact.reason == "ehc_plan_named" and who.get("sen_provision") != "E":
        errors.append(_issue(pupil_id, "sen_provision", "ehc_plan_without_sen_e",
                             "the placement reason is 'named on an EHC plan' but SEN provision"
                             " is not E"))  # fmt: skip
    left = leaving_date(fact, census_date)
    if left is not None and left < fact.start_date:
        errors.append(_issue(pupil_id, "leaving_date", "leaving_before_entry",
                             "leaving date is before the entry date"))  # fmt: skip
    return errors, queries


def report(
    selection: Selection,
    identities: Mapping[str, Identity],
    providers: Mapping[str, Provider],
) -> dict[str, Any]:
    """Errors and queries per pupil for the census of `selection.census_date`."""
    day = selection.census_date
    errors: list[Issue] = []
    queries: list[Issue] = []
    for pupil_id in sorted(selection.identity_missing):
        errors.append(_issue(pupil_id, "identity", "identity_missing",
                             "the pupil is in scope but their identity has not reached reporting"
                             " yet: they cannot be returned"))  # fmt: skip
    first, last = birth_range(day.year)
    for pupil_id in sorted(selection.out_of_age):
        queries.append(_issue(pupil_id, "date_of_birth", "age_out_of_range",
                              f"date of birth outside {first.isoformat()} to {last.isoformat()}:"
                              " not returned; check the date of birth"))  # fmt: skip
    for pupil_id, fact in sorted(selection.records.items()):
        who = identities[pupil_id]
        for found_errors, found_queries in (
            _identity_issues(pupil_id, who, day),
            _placement_issues(pupil_id, fact, who, providers.get(fact.provider_id), day),
        ):
            errors += found_errors
            queries += found_queries
    return {"census_date": day.isoformat(), "errors": errors, "queries": queries}
