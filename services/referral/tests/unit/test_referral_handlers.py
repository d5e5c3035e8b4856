"""Every referral handler on the in-memory unit of work: what it saves, the events it records,
what it answers, and each refusal. No I/O."""

from dataclasses import replace
from datetime import date
from uuid import UUID, uuid4

import pytest
from ap_chassis.errors import DomainError, ForbiddenError, InvalidCommandError, NotFoundError
from ap_referral import domain, handlers
from ap_referral.commands import (
    ApplyIdentityChange,
    DecideReferral,
    ErasePupil,
    Identity,
    ReferPupil,
    WithdrawReferral,
)
from ap_referral.results import ReferralResult, ReferralWithChange
from ap_schemas.events import (
    FsmPeriod,
    PupilIdentityRecordedV1,
    PupilReferredV1,
    ReferralDecidedV1,
    ReferralWithdrawnV1,
    Referrer,
)

from tests.support.steps import as_routed

UPN = "H801200001001"
URN, OTHER_URN = "100001", "200002"
IDENTITY = Identity(
    forename="Alex", surname="Example", date_of_birth=date(2012, 3, 4), sex="U",
    sen_provision="K", postcode="YO1 7HH", fsm_periods=[FsmPeriod(start_date=date(2025, 9, 1))],
)  # fmt: skip


def refer_command(**overrides: object) -> ReferPupil:
    fields: dict[str, object] = {
        "upn": UPN,
        "identity": IDENTITY,
        "referrer": Referrer(kind="school", urn=URN),
        "reason": "suspension",
        "tier_requested": 2,
        "referred_on": date(2026, 9, 7),
        "home_school_urn": URN,
    }
    return ReferPupil(**(fields | overrides))  # type: ignore[arg-type]


def pending(uow):
    """The event data a handler handed to the unit of work (handlers never commit)."""
    assert not uow.committed
    return [e.data for e in uow.pending]


STEPS = {
    ReferPupil: (handlers.authorize_referral, handlers.refer_pupil),
    DecideReferral: (handlers.authorize_decision, handlers.decide_referral),
    WithdrawReferral: (handlers.authorize_withdrawal, handlers.withdraw_referral),
    ApplyIdentityChange: (handlers.the_caller, handlers.apply_identity_change),
}

write = as_routed(STEPS)


async def refer(uow, caller, **overrides):
    result = await write(uow, refer_command(**overrides), caller())
    uow.pending.clear()
    return result


# referrals ---------------------------------------------------------------------------------


async def test_a_first_referral_registers_the_pupil_and_publishes_its_identity(uow, caller):
    result = await write(uow, refer_command(), caller("school", URN))

    pupil = await uow.pupils.by_upn(UPN)
    assert pupil is not None and pupil.identity["surname"] == "Example"
    referred, identity = pending(uow)
    assert isinstance(referred, PupilReferredV1) and isinstance(identity, PupilIdentityRecordedV1)
    assert referred.pupil_id == identity.pupil_id == pupil.pupil_id
    assert (referred.referrer.urn, referred.reason, referred.sen_provision) == (
        URN,
        "suspension",
        "K",
    )
    assert (identity.upn, identity.occurred_at, identity.fsm_periods) == (
        UPN, date(2026, 9, 7), [FsmPeriod(start_date=date(2025, 9, 1))])  # fmt: skip
    assert type(result) is ReferralResult
    assert list(result.model_dump(mode="json")) == [
        "referral_id",
        "pupil_id",
        "status",
        "event_ids",
    ]
    assert result.status == "received" and result.pupil_id == str(pupil.pupil_id)
    assert result.event_ids == [str(e.id) for e in uow.pending]
    assert uow.identity_reads.rows == [
        ("school-user", "school", pupil.pupil_id, "referral: UPN mapped to pupil_id")
    ]


async def test_the_referral_is_saved_as_received(uow, caller):
    result = await write(uow, refer_command(excluded_on=date(2026, 9, 4)), caller())
    [saved] = uow.referrals.rows.values()
    assert str(saved.referral_id) == result.referral_id
    assert (saved.status, saved.referrer_kind, saved.referrer_urn, saved.excluded_on) == (
        "received", "school", URN, date(2026, 9, 4))  # fmt: skip


async def test_a_known_upn_with_the_same_details_keeps_its_pupil_and_publishes_no_identity(
    uow, caller
):
    first = await refer(uow, caller)
    second = await write(uow, refer_command(), caller())
    assert second.pupil_id == first.pupil_id and second.referral_id != first.referral_id
    assert [type(e) for e in pending(uow)] == [PupilReferredV1]
    assert uow.identity_changes.rows == {}


async def test_different_details_of_a_known_pupil_become_a_proposed_change(uow, caller):
    first = await refer(uow, caller)
    changed = replace(IDENTITY, surname="Changed")
    result = await write(uow, refer_command(identity=changed), caller())

    assert type(result) is ReferralWithChange and result.identity_change == "proposed"
    assert list(result.model_dump(mode="json"))[-2:] == ["identity_change_id", "identity_change"]
    [change] = uow.identity_changes.rows.values()
    assert str(change.change_id) == result.identity_change_id
    assert (change.old, change.new, change.status) == (
        {"surname": "Example"}, {"surname": "Changed"}, "proposed")  # fmt: skip
    assert change.proposed_by == "la_officer:-:la_officer-user"
    pupil = await uow.pupils.by_upn(UPN)
    assert pupil is not None and pupil.identity["surname"] == "Example"  # the register stays
    assert str(pupil.pupil_id) == first.pupil_id
    assert [type(e) for e in pending(uow)] == [PupilReferredV1]


async def test_a_change_the_las_rule_covers_applies_at_once(uow, caller):
    await refer(uow, caller)
    moved = replace(IDENTITY, postcode="YO2 8AA")
    command = refer_command(identity=moved, auto_apply=frozenset({"postcode", "fsm_eligible"}))
    result = await write(uow, command, caller())

    assert type(result) is ReferralWithChange and result.identity_change == "applied"
    [change] = uow.identity_changes.rows.values()
    assert (change.status, change.applied_by) == ("applied", "rule:auto-apply")
    pupil = await uow.pupils.by_upn(UPN)
    assert pupil is not None and pupil.identity["postcode"] == "YO2 8AA"
    referred, identity = pending(uow)
    assert isinstance(identity, PupilIdentityRecordedV1) and identity.postcode == "YO2 8AA"
    assert identity.surname == "Example" and identity.pupil_id == referred.pupil_id


async def test_a_change_beyond_the_las_rule_waits_for_an_officer(uow, caller):
    await refer(uow, caller)
    changed = replace(IDENTITY, postcode="YO2 8AA", surname="Changed")
    command = refer_command(identity=changed, auto_apply=frozenset({"postcode"}))
    result = await write(uow, command, caller())
    assert type(result) is ReferralWithChange and result.identity_change == "proposed"
    pupil = await uow.pupils.by_upn(UPN)
    assert pupil is not None and pupil.identity["postcode"] == "YO1 7HH"


async def test_a_referral_that_lost_the_race_for_a_new_upn_joins_the_winner(uow, caller):
    winner = domain.Pupil(uuid4(), UPN, IDENTITY.values())
    lookups = []

    async def by_upn_after_a_concurrent_insert(upn: str) -> domain.Pupil | None:
        lookups.append(upn)
        if len(lookups) == 1:
            await uow.pupils.add(winner)  # committed by another transaction meanwhile
            return None
        return await type(uow.pupils).by_upn(uow.pupils, upn)

    uow.pupils.by_upn = by_upn_after_a_concurrent_insert
    result = await write(uow, refer_command(), caller())
    assert result.pupil_id == str(winner.pupil_id) and len(lookups) == 2
    assert [type(e) for e in pending(uow)] == [PupilReferredV1]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reason": "permanent_exclusion"}, "excluded_on"),
        ({"excluded_on": date(2026, 9, 8)}, "excluded_on"),
        ({"reason": "ehc_plan_named"}, "sen_provision"),
    ],
)
async def test_an_inconsistent_referral_is_refused_before_anything_is_saved(
    uow, caller, overrides, field
):
    with pytest.raises(InvalidCommandError) as refused:
        await write(uow, refer_command(**overrides), caller())
    assert refused.value.field == field
    assert uow.pupils.rows == {} and uow.referrals.rows == {} and uow.pending == []


# decisions and withdrawals -----------------------------------------------------------------


async def test_accepting_saves_the_decision_as_the_status_and_records_it(uow, caller):
    made = await refer(uow, caller)
    command = DecideReferral(UUID(made.referral_id), "accepted", date(2026, 9, 8), "fits")
    result = await write(uow, command, caller())

    saved = uow.referrals.rows[command.referral_id]
    assert (saved.status, saved.decision, saved.decided_on, saved.decision_reason) == (
        "accepted", "accepted", date(2026, 9, 8), "fits")  # fmt: skip
    [event] = pending(uow)
    assert isinstance(event, ReferralDecidedV1)
    assert (event.decision, event.reason, str(event.pupil_id)) == (
        "accepted",
        "fits",
        made.pupil_id,
    )
    assert result.model_dump(mode="json") == {
        "referral_id": str(command.referral_id), "pupil_id": made.pupil_id,
        "status": "accepted", "event_ids": [str(uow.pending[0].id)],
    }  # fmt: skip
    assert uow.pupils.locked == [saved.pupil_id]


async def _referral_id(uow, caller, **overrides):
    return UUID((await refer(uow, caller, **overrides)).referral_id)


async def test_a_second_decision_is_a_conflict(uow, caller):
    referral_id = await _referral_id(uow, caller)
    await write(uow, DecideReferral(referral_id, "declined", date(2026, 9, 8)), caller())
    uow.pending.clear()
    with pytest.raises(DomainError, match="already declined") as refused:
        await write(uow, DecideReferral(referral_id, "accepted", date(2026, 9, 9)), caller())
    assert type(refused.value) is DomainError and uow.pending == []
    assert uow.referrals.rows[referral_id].status == "declined"


async def test_a_decision_before_the_referral_is_invalid(uow, caller):
    referral_id = await _referral_id(uow, caller)
    with pytest.raises(InvalidCommandError) as refused:
        await write(uow, DecideReferral(referral_id, "accepted", date(2026, 9, 6)), caller())
    assert refused.value.field == "decided_on"


async def test_deciding_is_the_las_alone_and_an_unknown_referral_is_not_found(uow, caller):
    referral_id = await _referral_id(uow, caller)
    command = DecideReferral(referral_id, "accepted", date(2026, 9, 8))
    with pytest.raises(ForbiddenError):  # even the referrer: it knows the referral exists
        await handlers.authorize_decision(uow, command, caller("school", URN))
    with pytest.raises(NotFoundError):
        await write(uow, replace(command, referral_id=uuid4()), caller())


async def test_the_referring_school_withdraws_and_the_withdrawal_is_recorded(uow, caller):
    referral_id = await _referral_id(uow, caller)
    school = caller("school", URN)
    command = WithdrawReferral(referral_id, date(2026, 9, 9), "moved away")
    result = await write(uow, command, school)

    saved = uow.referrals.rows[referral_id]
    assert (saved.status, saved.withdrawn_on, saved.withdrawal_reason) == (
        "withdrawn", date(2026, 9, 9), "moved away")  # fmt: skip
    [event] = pending(uow)
    assert isinstance(event, ReferralWithdrawnV1) and event.reason == "moved away"
    assert result.status == "withdrawn" and result.event_ids == [str(uow.pending[0].id)]


async def test_another_school_may_not_know_the_referral_exists(uow, caller):
    referral_id = await _referral_id(uow, caller)
    command = WithdrawReferral(referral_id, date(2026, 9, 9), "r")
    with pytest.raises(NotFoundError):
        await write(uow, command, caller("school", OTHER_URN))


async def test_a_declined_referral_cannot_be_withdrawn(uow, caller):
    referral_id = await _referral_id(uow, caller)
    await write(uow, DecideReferral(referral_id, "declined", date(2026, 9, 8)), caller())
    with pytest.raises(DomainError, match="declined referral cannot be withdrawn"):
        await write(uow, WithdrawReferral(referral_id, date(2026, 9, 9), "r"), caller())


# identity changes --------------------------------------------------------------------------


async def _proposed(uow, caller, surname="Changed"):
    await refer(uow, caller)
    result = await refer(uow, caller, identity=replace(IDENTITY, surname=surname))
    change = next(iter(uow.identity_changes.rows.values()))
    uow.identity_reads.rows.clear()
    return change, result


async def test_an_officer_applies_a_proposed_change(uow, caller):
    change, _ = await _proposed(uow, caller)
    command = ApplyIdentityChange(change.pupil_id, change.change_id)
    result = await write(uow, command, caller())

    pupil = await uow.pupils.by_id(change.pupil_id)
    assert pupil is not None and pupil.identity["surname"] == "Changed"
    applied = uow.identity_changes.rows[change.change_id]
    assert (applied.status, applied.applied_by) == ("applied", "la_officer:-:la_officer-user")
    [event] = pending(uow)
    assert isinstance(event, PupilIdentityRecordedV1)
    assert (event.surname, event.upn, event.date_of_birth) == ("Changed", UPN, date(2012, 3, 4))
    assert result.model_dump(mode="json") == {
        "change_id": str(change.change_id), "pupil_id": str(change.pupil_id),
        "status": "applied", "event_ids": [str(uow.pending[0].id)],
    }  # fmt: skip
    assert uow.identity_reads.rows == [
        ("la_officer-user", "la_officer", change.pupil_id, "identity change applied")
    ]


async def test_a_change_applies_once(uow, caller):
    change, _ = await _proposed(uow, caller)
    command = ApplyIdentityChange(change.pupil_id, change.change_id)
    await write(uow, command, caller())
    with pytest.raises(DomainError, match="already applied"):
        await write(uow, command, caller())


async def test_a_change_proposed_against_an_older_register_is_refused(uow, caller):
    change, _ = await _proposed(uow, caller)
    pupil = await uow.pupils.by_id(change.pupil_id)
    assert pupil is not None
    await uow.pupils.save(replace(pupil, identity=pupil.identity | {"surname": "Other"}))
    with pytest.raises(DomainError, match="register changed"):
        await write(uow, ApplyIdentityChange(change.pupil_id, change.change_id), caller())
    assert uow.pending == [] and uow.identity_reads.rows == []


async def test_an_unknown_change_or_pupil_is_not_found(uow, caller):
    change, _ = await _proposed(uow, caller)
    for command in (
        ApplyIdentityChange(change.pupil_id, uuid4()),
        ApplyIdentityChange(uuid4(), change.change_id),
    ):
        with pytest.raises(NotFoundError):
            await write(uow, command, caller())


# erasure -----------------------------------------------------------------------------------


async def test_erasure_nulls_the_register_row_and_publishes_a_tombstone(uow, caller):
    change, made = await _proposed(uow, caller)
    pupil_id = change.pupil_id
    command = ErasePupil(pupil_id, "request", "la_officer-user", "la_officer", "asked to")
    result = await handlers.erase_pupil(uow, command, caller())

    pupil = await uow.pupils.by_id(pupil_id)
    assert pupil is not None and pupil.upn is None and set(pupil.identity.values()) == {None}
    assert await uow.pupils.by_upn(UPN) is None
    assert uow.identity_changes.rows == {}  # proposed changes hold personal data too
    [(key, needles, tombstone)] = uow.forgotten
    assert key == str(pupil_id) and {UPN, "Alex", "Example", "2012-03-04", "YO1 7HH"} <= set(
        needles
    )
    assert result.model_dump(mode="json") == {
        "pupil_id": str(pupil_id), "status": "erased",
        "erased_at": uow.pupils.erasures[0][1].isoformat(), "event_ids": [tombstone],
    }  # fmt: skip
    assert uow.pupils.erasures[0][0] == command
    assert uow.pending == [] and made.pupil_id == str(pupil_id)


async def test_erasing_an_unknown_pupil_is_not_found(uow):
    with pytest.raises(NotFoundError):
        await handlers.erase_pupil(uow, ErasePupil(uuid4(), "retention", "job", "system", "ended"))
    assert uow.forgotten == []


# school-arranged AP ------------------------------------------------------------------------


async def test_school_arranged_ap_is_accepted_by_the_arranging_school_at_once(uow, caller):
    command = refer_command(route="school_arranged", home_school_urn=None)
    result = await write(uow, command, caller("school", URN))

    referred, decided, _identity = pending(uow)
    assert isinstance(referred, PupilReferredV1) and referred.route == "school_arranged"
    assert referred.home_school_urn == URN, "the pupil is on the arranging school's roll"
    assert isinstance(decided, ReferralDecidedV1)
    assert (decided.decision, decided.decided_on, decided.decided_by_urn) == (
        "accepted", date(2026, 9, 7), URN)  # fmt: skip
    assert result.status == "accepted"
    saved = uow.referrals.rows[UUID(result.referral_id)]
    assert (saved.status, saved.route, saved.decided_on) == (
        "accepted", "school_arranged", date(2026, 9, 7))  # fmt: skip


async def test_an_la_arranged_referral_carries_no_route_and_waits_for_the_la(uow, caller):
    result = await write(uow, refer_command(), caller("school", URN))
    referred, _identity = pending(uow)
    assert referred.route is None and result.status == "received"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"referrer": Referrer(kind="local_authority")}, "referrer.kind"),
        ({"home_school_urn": OTHER_URN}, "home_school_urn"),
    ],
    ids=["arranged-by-the-la", "another-schools-pupil"],
)
async def test_school_arranged_ap_is_a_schools_own_pupil_only(uow, caller, overrides, field):
    command = refer_command(route="school_arranged", **overrides)
    with pytest.raises(InvalidCommandError) as refused:
        await write(uow, command, caller())
    assert refused.value.field == field and uow.referrals.rows == {}


async def test_the_la_cannot_decide_school_arranged_ap_again(uow, caller):
    made = await refer(uow, caller, route="school_arranged")
    command = DecideReferral(UUID(made.referral_id), "declined", date(2026, 9, 8))
    with pytest.raises(DomainError, match="already accepted"):
        await write(uow, command, caller())
