"""Per-provider outcomes, suppression, sufficiency and the provider projection,
against hand arithmetic. Pure."""

import uuid
from dataclasses import replace
from datetime import date, timedelta

import reporting_reference as reference
from ap_reporting.policy import policy
from ap_reporting.projection import JourneyEvent
from ap_reporting.provider_figures import phase_of, school_year, spread, suppress, to_csv
from ap_reporting.provider_outcomes import provider_outcomes
from ap_reporting.provider_view import project_provider
from hypothesis import given, settings
from hypothesis import strategies as st

P, Q = "provider-p", "provider-q"
DAILY = 10_000  # pence a day: an annual cost of 3,650,000 pence
_seq = iter(range(1, 10**9))


def ev(type_: str, day: str, **data) -> JourneyEvent:
    """An event; ids rise in creation order, as time-ordered ids do."""
    return JourneyEvent(
        uuid.UUID(int=next(_seq)), "journey." + type_, date.fromisoformat(day), data
    )


def placed(pid: str, provider: str, start: str, *, referral: str = "r", tier: int = 2):
    return ev("pupil.placed.v1", start, placement_id=pid, provider_id=provider, tier=tier,
              referral_id=referral, commissioner={"kind": "local_authority"}, start_date=start,
              annual_cost_pence=DAILY * 365, sessions_per_week=8, reason="suspension")  # fmt: skip


def ended(pid: str, day: str, reason: str):
    return ev("placement.ended.v1", day, placement_id=pid, end_date=day, reason=reason)


def reviewed(pid: str, day: str, possible: int, attended: int, next_on: str | None = None):
    attendance = {"possible_sessions": possible, "attended_sessions": attended}
    return ev(
        "placement.reviewed.v1", day, placement_id=pid, next_review_on=next_on,
        attendance=attendance,
    )  # fmt: skip


COHORT = {
    # a: 7 Sep to 6 Oct at P (30 days), broke down; one review on time, one after its due date
    "a": [placed("pa", P, "2026-09-07"), reviewed("pa", "2026-09-28", 20, 15, "2026-10-05"),
          reviewed("pa", "2026-10-06", 10, 5), ended("pa", "2026-10-06", "breakdown")],
    # b: open at P from 1 Sep (122 days to 31 Dec); first review after 91 days: late;
    # reintegrated from the placement, sustained at a check after the period
    "b": [placed("pb", P, "2026-09-01"), reviewed("pb", "2026-12-01", 100, 90),
          ev("pupil.reintegrated.v1", "2026-12-15", reintegration_id="ib", placement_id="pb"),
          ev("reintegration.sustainment_checked.v1", "2027-02-01", reintegration_id="ib",
             sustained=True)],
    # c: Q in September, then P for October and November (61 days), completed; reintegrated
    # without a placement id and a destination: both P's (the latest placement before them)
    "c": [placed("pc1", Q, "2026-09-01"), ended("pc1", "2026-09-30", "moved_provider"),
          placed("pc2", P, "2026-10-01"), ended("pc2", "2026-11-30", "completed"),
          ev("pupil.reintegrated.v1", "2026-12-05", reintegration_id="ic", placement_id=None),
          ev("reintegration.sustainment_checked.v1", "2026-12-20", reintegration_id="ic",
             sustained=False),
          ev("destination.confirmed.v1", "2026-12-10", group="education_training",
             activity_code=210)],
    # d: Q only; nothing of P's
    "d": [placed("pd", Q, "2026-09-01"), reviewed("pd", "2026-10-01", 50, 0),
          ev("destination.confirmed.v1", "2026-12-10", group="neet", activity_code=540)],
}  # fmt: skip
START, END = date(2026, 9, 1), date(2026, 12, 31)


def test_per_provider_figures_match_hand_arithmetic():
    got = provider_outcomes(P, COHORT, START, END)
    assert got["placements"] == {"pupils": 3, "pupil_days": 30 + 122 + 61}
    assert got["attendance"] == {
        "pupils": 2, "possible_sessions": 20 + 10 + 100, "attended_sessions": 15 + 5 + 90,
        "rate": round(110 / 130, 4),
    }  # fmt: skip
    assert got["reviews"] == {"pupils": 2, "reviews": 3, "on_time": 1, "rate": 0.3333}
    assert got["reintegration"] == {"pupils": 2, "count": 2, "sustained": 1, "sustained_rate": 0.5}
    assert got["destinations"]["education_training"] == 1
    assert got["destinations"]["neet"] == 0
    assert got["destinations"]["pupils"] == 1
    assert got["destinations"]["participation_rate"] == 1.0
    assert got["breakdowns"] == {"pupils": 2, "placements_ended": 2, "breakdown": 1, "rate": 0.5}
    # 2,130,000 pence over 213 pupil-days: 10,000 a day, 70,000 a pupil-week
    assert got["cost"] == {"pupils": 3, "cost_pence": DAILY * 213, "per_pupil_week_pence": 70_000}


def test_the_other_provider_gets_only_its_own():
    got = provider_outcomes(Q, COHORT, START, END)
    assert got["placements"]["pupils"] == 2  # c in September, d throughout
    assert got["destinations"]["neet"] == 1 and got["destinations"]["education_training"] == 0
    assert got["attendance"]["rate"] == 0.0
    assert got["breakdowns"]["breakdown"] == 0


def test_figures_behind_fewer_than_five_pupils_are_withheld_with_their_count():
    figures = provider_outcomes(P, COHORT, START, END)
    out = suppress(figures)
    assert out["attendance"] == {
        "pupils": None, "possible_sessions": None, "attended_sessions": None, "rate": None,
        "suppressed": True,
    }  # fmt: skip
    for block in ("placements", "reviews", "cost", "destinations"):
        assert out[block]["suppressed"] is True
    assert out["provider_id"] == P
    at_two = suppress(figures, replace(policy(), suppress_below_pupils=2))
    assert at_two["attendance"]["rate"] == round(110 / 130, 4)
    assert at_two["attendance"]["suppressed"] is False
    assert at_two["destinations"]["suppressed"] is True  # one pupil
    # 0 is small too (the one rule of every route), unless the policy says otherwise
    assert suppress({"x": {"pupils": 0, "rate": None}}) == {
        "x": {"pupils": None, "rate": None, "suppressed": True}
    }
    assert suppress({"x": {"pupils": 0, "rate": None}}, replace(policy(), suppress_zero=False)) == {
        "x": {"pupils": 0, "rate": None, "suppressed": False}
    }
    csv_text = to_csv(out)
    assert "attendance.rate,\n" in csv_text and "attendance.suppressed,True\n" in csv_text
    assert str(110) not in csv_text


def test_school_year_and_phase_from_the_date_of_birth():
    on = date(2026, 9, 7)
    assert school_year(date(2012, 3, 4), on) == 10
    assert school_year(date(2012, 8, 31), on) == 9 + 1  # youngest of its year
    assert school_year(date(2012, 9, 1), on) == 9  # oldest of the next
    assert phase_of(date(2018, 6, 1), on) == "primary"
    assert phase_of(date(2015, 8, 31), on) == "secondary"  # Year 7
    assert phase_of(date(2009, 12, 1), on) == "post_16"
    assert phase_of(None, on) == "unknown"


def test_spread_uses_the_middle_mean_and_the_nearest_rank():
    assert spread([10, 1, 5, 2]) == {"pupils": 4, "median_days": 3.5, "p90_days": 10}
    assert spread([3]) == {"pupils": 1, "median_days": 3.0, "p90_days": 3}
    assert spread(range(1, 21))["p90_days"] == 18  # ceil(0.9 x 20) = 18th
    assert spread([]) == {"pupils": 0, "median_days": None, "p90_days": None}


def referral(rid, on, tier, decided=None, decision="accepted", start=None, provider=P,
             withdrawn=None):  # fmt: skip
    out = [ev("pupil.referred.v1", on, referral_id=rid, referred_on=on, tier_requested=tier)]
    if decided:
        out.append(ev("referral.decided.v1", decided, referral_id=rid, decision=decision,
                      decided_on=decided))  # fmt: skip
    if start:
        out.append(placed("p" + rid, provider, start, referral=rid, tier=tier))
    if withdrawn:
        out.append(ev("referral.withdrawn.v1", withdrawn, referral_id=rid))
    return out


def test_sufficiency_medians_and_waiting_match_hand_arithmetic():
    pupils = {
        "1": referral("r1", "2026-09-07", 2, "2026-09-09", start="2026-09-21"),  # 2 and 14 days
        "2": referral("r2", "2026-09-10", 2, "2026-09-15", start="2026-10-05"),  # 5 and 25
        "3": referral("r3", "2026-09-20", 2, "2026-09-30"),  # 10; waiting
        "4": referral("r4", "2026-10-01", 2, "2026-10-02", withdrawn="2026-10-10"),  # 1
        "5": referral("r5", "2026-09-08", 1, "2026-09-09", decision="declined"),  # 1, primary
        "6": referral("r6", "2026-08-20", 3, "2026-08-25"),  # before the period; waiting
    }
    births = {"1": date(2012, 3, 4), "2": date(2012, 5, 1), "3": date(2012, 10, 10),
              "4": date(2011, 1, 1), "5": date(2018, 6, 1)}  # fmt: skip
    provider_events = [
        ev("provider.registered.v1", "2026-09-01", name="P", registered=True),
        ev("provider.capacity_set.v1", "2026-09-01", tier=2, phase="secondary", places=2,
           effective_from="2026-09-01"),
        ev("provider.capacity_exceeded.v1", "2026-10-05", placement_id="pr2", tier=2,
           phase="secondary", places=2, in_use=3),
    ]  # fmt: skip
    view = project_provider(P, provider_events)
    got = reference.sufficiency(pupils, births, {P: view}, date(2026, 9, 1), date(2026, 10, 31))

    secondary = next(d for d in got["demand"] if (d["tier"], d["phase"]) == (2, "secondary"))
    assert secondary["referrals"] == 4
    # decisions after 1, 2, 5, 10 days: median (2 + 5) / 2, 90th = 4th of 4
    assert secondary["referral_to_decision"] == {"pupils": 4, "median_days": 3.5, "p90_days": 10}
    assert secondary["referral_to_placement_start"] == {
        "pupils": 2,
        "median_days": 19.5,
        "p90_days": 25,
    }
    assert secondary["waiting_now"] == {"pupils": 1}
    primary = next(d for d in got["demand"] if d["phase"] == "primary")
    assert (primary["tier"], primary["referrals"], primary["waiting_now"]) == (1, 1, {"pupils": 0})
    unknown = next(d for d in got["demand"] if d["phase"] == "unknown")
    assert (unknown["tier"], unknown["referrals"], unknown["waiting_now"]) == (3, 0, {"pupils": 1})
    # all five decisions: 1, 1, 2, 5, 10
    assert got["referral_to_decision"] == {"pupils": 5, "median_days": 2.0, "p90_days": 10}
    assert got["waiting_now"] == {"pupils": 2}
    assert [(m["month"], m["tier"], m["phase"], m["referrals"]) for m in got["by_month"]] == [
        ("2026-09", 1, "primary", 1), ("2026-09", 2, "secondary", 3),
        ("2026-10", 2, "secondary", 1),
    ]  # fmt: skip
    assert got["supply"] == [{"provider_id": P, "tier": 2, "phase": "secondary",
                              "places_offered": 2, "places_used": 2, "pupils": 2}]  # fmt: skip
    assert got["beyond_capacity_flags"] == {P: 1}


# the provider projection is the same whatever the arrival order -----------------------------

CHECKS = ("safeguarding", "insurance", "qa_visit")


@st.composite
def provider_streams(draw):
    day0 = date(2026, 9, 1)
    out = [ev("provider.registered.v1", "2026-08-01", name="P", registered=draw(st.booleans()))]
    for _ in range(draw(st.integers(0, 12))):
        day = (day0 + timedelta(days=draw(st.integers(0, 30)))).isoformat()
        kind = draw(st.sampled_from(["check", "capacity", "inspection", "contract", "flag"]))
        if kind == "check":
            out.append(ev("provider.check_recorded.v1", day, check=draw(st.sampled_from(CHECKS)),
                          checked_on=day, expires_on="2027-08-31",
                          outcome=draw(st.sampled_from(["passed", "failed"]))))  # fmt: skip
        elif kind == "capacity":
            out.append(ev("provider.capacity_set.v1", day, tier=draw(st.sampled_from([1, 2])),
                          phase="secondary", places=draw(st.integers(0, 9)),
                          effective_from=day))  # fmt: skip
        elif kind == "inspection":
            out.append(ev("provider.inspected.v1", day, inspected_on=day,
                          judgement=draw(st.sampled_from(["eif_2019:1", "eif_2019:3"])),
                          judgement_text="as published"))  # fmt: skip
        elif kind == "contract":
            out.append(ev("provider.contract_agreed.v1", day, contract_id=str(uuid.uuid4()),
                          tier=2, starts_on=day, ends_on=day,
                          cost={"amount_pence": 100, "per": "week"}))  # fmt: skip
        else:
            out.append(ev("provider.capacity_exceeded.v1", day, placement_id=str(uuid.uuid4())))
    return out


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_provider_projection_is_independent_of_arrival_order(data):
    events = data.draw(provider_streams())
    shuffled = data.draw(st.permutations(events))
    assert project_provider(P, shuffled) == project_provider(P, events)


def test_events_before_the_registration_are_held_not_lost():
    check = ev("provider.check_recorded.v1", "2026-09-02", check="insurance",
               checked_on="2026-09-02", expires_on="2027-09-01", outcome="passed")  # fmt: skip
    early = project_provider(P, [check])
    assert not early.known and early.checks
    registration = ev("provider.registered.v1", "2026-09-01", name="P", registered=True)
    late = project_provider(P, [check, registration])
    assert late.known and late.checks == early.checks
