"""Reporting's access policy: role-level actions as a grid, timeline events by party. Pure."""

import uuid
from datetime import date

import pytest
from ap_chassis.access import read_grid
from ap_chassis.auth import Principal
from ap_reporting import access
from ap_reporting.projection import JourneyEvent

#  action           relation  la_officer school provider analyst auditor
SPEC = """
   read_timeline    party     allow      allow  allow    403     allow
   read_timeline    stranger  allow      404    404      403     allow
   read_event       party     allow      allow  allow    403     allow
   read_event       stranger  allow      404    404      403     allow
   read_caseload    any       allow      allow  allow    allow   allow
   read_aggregates  any       allow      403    403      allow   403
   read_census      any       allow      403    403      403     403
   rebuild_read_models any    allow      403    403      403     403
"""
A, B, HOME, P1, P2 = "100001", "200002", "300003", "p1", "p2"
R_A, R_B, PL_1, PL_2, BACK = (str(uuid.uuid4()) for _ in range(5))
N = iter(range(1, 1000))


def ev(type_: str, day: int, **data) -> JourneyEvent:
    return JourneyEvent(uuid.UUID(int=next(N)), f"journey.{type_}.v1", date(2026, 9, day), data)


# School A refers (home school HOME) and the LA places with P1 on A's referral; the placement
# ends and P2 takes over on the same referral; the LA reintegrates into school B. Later school B
# re-refers the pupil by UPN. Every event, by who may see it:
JOURNEY = {
    "a_referred": ev("pupil.referred", 1, referral_id=R_A, referrer={"kind": "school", "urn": A},
                     home_school_urn=HOME),
    "a_decided": ev("referral.decided", 2, referral_id=R_A, decision="accepted"),
    "p1_placed": ev("pupil.placed", 3, placement_id=PL_1, referral_id=R_A, provider_id=P1,
                    commissioner={"kind": "local_authority", "urn": None}),
    "p1_reviewed": ev("placement.reviewed", 4, placement_id=PL_1),
    "p1_ended": ev("placement.ended", 5, placement_id=PL_1),
    "p2_placed": ev("pupil.placed", 6, placement_id=PL_2, referral_id=R_A, provider_id=P2,
                    commissioner={"kind": "local_authority", "urn": None}),
    "back_in_b": ev("pupil.reintegrated", 7, reintegration_id=BACK, placement_id=PL_2,
                    school_urn=B),
    "sustained": ev("reintegration.sustainment_checked", 8, reintegration_id=BACK),
    "b_referred": ev("pupil.referred", 9, referral_id=R_B, referrer={"kind": "school", "urn": B},
                     home_school_urn=B),
    "destination": ev("destination.confirmed", 10, destination_id=str(uuid.uuid4())),
}  # fmt: skip
EVERYTHING = set(JOURNEY)
SEES = {
    # A (and the home school it named): its referral's whole chain, up to the return to B
    Principal("u", "school", urn=A): EVERYTHING - {"b_referred", "destination"},
    Principal("u", "school", urn=HOME): EVERYTHING - {"b_referred", "destination"},
    # B: its reintegration onward and its own referral; never A's earlier journey
    Principal("u", "school", urn=B): {"back_in_b", "sustained", "b_referred"},
    # P1's view ends with its own placement: not P2's placement nor what followed
    Principal("u", "provider", provider_id=P1): {"a_referred", "a_decided", "p1_placed",
                                                 "p1_reviewed", "p1_ended"},
    Principal("u", "provider", provider_id=P2): {"a_referred", "a_decided", "p2_placed",
                                                 "back_in_b", "sustained"},
    Principal("u", "school", urn="999999"): set(),
    Principal("u", "la_officer"): EVERYTHING,
    Principal("u", "auditor"): EVERYTHING,
}  # fmt: skip


def principal(role: str) -> Principal:
    return Principal(sub="u", role=role, urn=A, provider_id=P1)  # type: ignore[arg-type]


def events_for(relation: str) -> list[JourneyEvent] | None:
    return {"party": list(JOURNEY.values()), "stranger": [JOURNEY["b_referred"]]}.get(relation)


@pytest.mark.parametrize(("role", "relation", "action", "expected"), read_grid(SPEC))
def test_every_cell_of_the_policy(role, relation, action, expected):
    if action == "read_event" and relation != "any":
        event = JOURNEY["p1_placed"] if relation == "party" else JOURNEY["b_referred"]
        visible = event in access.visible_events(principal(role), list(JOURNEY.values()))
        got = "allow" if visible and role != "analyst" else ("403" if role == "analyst" else "404")
        assert got == expected
        return
    assert access.can(principal(role), action, events_for(relation)) == expected


def test_the_specification_covers_every_action():
    assert {a for _, _, a, _ in read_grid(SPEC)} == set(access.ACTIONS)


@pytest.mark.parametrize("who", list(SEES), ids=lambda p: f"{p.role}:{p.urn or p.provider_id}")
def test_each_caller_sees_only_the_events_it_is_party_to(who):
    names = {v.event_id: k for k, v in JOURNEY.items()}
    shown = {names[e.event_id] for e in access.visible_events(who, list(JOURNEY.values()))}
    assert shown == SEES[who]


def test_a_backdated_second_referral_still_sees_nothing_earlier():
    early = ev("pupil.referred", 1, referral_id=str(uuid.uuid4()),
               referrer={"kind": "school", "urn": "777777"}, home_school_urn=None)  # fmt: skip
    journey = [*JOURNEY.values(), JourneyEvent(early.event_id, early.type, date(2000, 1, 1),
                                                early.data)]  # fmt: skip
    shown = access.visible_events(Principal("u", "school", urn="777777"), journey)
    assert [e.event_id for e in shown] == [early.event_id]
