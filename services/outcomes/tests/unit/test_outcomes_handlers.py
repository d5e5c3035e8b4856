"""Every outcomes handler and access step on the in-memory unit of work: no infrastructure.

Each test states the events recorded, the state saved and the answer, or the refusal's error
class (and so its status) with nothing saved or recorded.
"""

from datetime import date
from uuid import UUID, uuid4

import pytest
from ap_chassis.auth import Principal
from ap_chassis.errors import (
    DomainError,
    ForbiddenError,
    InvalidCommandError,
    NotFoundError,
    NotYetKnownError,
)
from ap_chassis.problems import problem_of
from ap_outcomes import handlers
from ap_outcomes.commands import (
    AttendanceIn,
    CheckSustainment,
    ConfirmDestination,
    RecordReintegration,
    RecordReview,
)
from ap_outcomes.domain import Destination, PlacementFact, Reintegration, Review
from ap_schemas.events import (
    Attendance,
    DestinationConfirmedV1,
    PlacementReviewedV1,
    PupilReintegratedV1,
    SustainmentCheckedV1,
)

from tests.support.steps import as_routed

SCHOOL_URN, RECEIVING_URN, OTHER_URN = "100001", "300003", "200002"
PROVIDER, OTHER_PROVIDER = uuid4(), uuid4()
LA = Principal(sub="la", role="la_officer")
SCHOOL = Principal(sub="s", role="school", urn=SCHOOL_URN)
RECEIVING = Principal(sub="r", role="school", urn=RECEIVING_URN)
STRANGER_SCHOOL = Principal(sub="x", role="school", urn=OTHER_URN)
PROVIDER_USER = Principal(sub="p", role="provider", provider_id=str(PROVIDER))
START = date(2026, 9, 14)


async def placed(uow, *, pupil_id=None, provider_id=PROVIDER, urn=SCHOOL_URN, end=None) -> UUID:
    """A placement replicated here: commissioned by SCHOOL and provided by PROVIDER."""
    placement_id, pupil_id = uuid4(), pupil_id or uuid4()
    await uow.outcomes.remember_pupil(pupil_id)
    await uow.outcomes.record_placement(
        PlacementFact(placement_id, pupil_id, START, None, provider_id, urn)
    )
    if end is not None:
        await uow.outcomes.record_placement_end(
            placement_id=placement_id, pupil_id=pupil_id, end_date=end
        )
    return placement_id


def review_of(placement_id: UUID, **overrides) -> RecordReview:
    fields = {
        "placement_id": placement_id,
        "reviewed_on": date(2026, 10, 20),
        "attendance": AttendanceIn(possible_sessions=56, attended_sessions=40),
        "progress": "expected",
        "outcome": "continue",
        "next_review_on": date(2026, 12, 1),
    }
    return RecordReview(**(fields | overrides))


STEPS = {
    RecordReview: (handlers.authorize_review, handlers.record_review),
    RecordReintegration: (handlers.authorize_reintegration, handlers.record_reintegration),
    CheckSustainment: (handlers.authorize_sustainment, handlers.check_sustainment),
    ConfirmDestination: (handlers.authorize_destination, handlers.confirm_destination),
}

write = as_routed(STEPS)


def nothing_done(uow) -> None:
    """Nothing saved or recorded (a lock the access step took goes with the rollback)."""
    repo = uow.outcomes
    assert uow.pending == [] and uow.events == []
    assert not (repo.reviews or repo.reintegrations or repo.destinations)


def recorded(uow, result) -> list:
    """The recorded events' data, checking the answer quotes their ids."""
    assert result.event_ids == [str(e.id) for e in uow.pending]
    return [e.data for e in uow.pending]


# reviews ------------------------------------------------------------------------------------


async def test_a_review_is_saved_and_recorded_for_the_placements_pupil(uow):
    placement_id = await placed(uow)
    pupil_id = uow.outcomes.placements[placement_id].pupil_id
    result = await write(uow, review_of(placement_id), LA)
    assert result.pupil_id == pupil_id
    attendance = Attendance(possible_sessions=56, attended_sessions=40)
    assert recorded(uow, result) == [
        PlacementReviewedV1(
            occurred_at=date(2026, 10, 20), pupil_id=pupil_id, review_id=result.review_id,
            placement_id=placement_id, reviewed_on=date(2026, 10, 20), attendance=attendance,
            progress="expected", outcome="continue", next_review_on=date(2026, 12, 1),
        )
    ]  # fmt: skip
    assert uow.outcomes.reviews == {
        result.review_id: Review(
            review_id=result.review_id, placement_id=placement_id, pupil_id=pupil_id,
            reviewed_on=date(2026, 10, 20), attendance=attendance, progress="expected",
            outcome="continue", next_review_on=date(2026, 12, 1),
        )
    }  # fmt: skip
    assert uow.outcomes.locked == [pupil_id]
    assert list(result.model_dump()) == ["review_id", "pupil_id", "event_ids"]


async def test_a_review_of_a_placement_not_known_yet_asks_for_a_retry(uow):
    with pytest.raises(NotYetKnownError) as err:
        await write(uow, review_of(uuid4()), LA)
    assert err.value.field == "placement_id"
    nothing_done(uow)


async def test_a_review_attending_more_than_possible_is_invalid(uow):
    placement_id = await placed(uow)
    counts = AttendanceIn(possible_sessions=10, attended_sessions=11)
    with pytest.raises(InvalidCommandError) as err:
        await write(uow, review_of(placement_id, attendance=counts), LA)
    assert err.value.field == "attendance.attended_sessions"
    nothing_done(uow)


async def test_a_review_after_the_placement_ended_breaks_a_rule(uow):
    placement_id = await placed(uow, end=date(2026, 10, 1))
    with pytest.raises(DomainError) as err:
        await write(uow, review_of(placement_id), LA)
    assert type(err.value) is DomainError  # a plain rule violation (409)
    assert err.value.field == "reviewed_on"
    nothing_done(uow)


@pytest.mark.parametrize("principal", [LA, SCHOOL, PROVIDER_USER])
async def test_the_la_commissioner_and_provider_may_review(uow, principal):
    placement_id = await placed(uow)
    await handlers.authorize_review(uow, review_of(placement_id), principal)


async def test_a_stranger_to_the_placement_gets_not_found(uow):
    placement_id = await placed(uow, urn=OTHER_URN, provider_id=OTHER_PROVIDER)
    for principal in (SCHOOL, PROVIDER_USER):
        with pytest.raises(NotFoundError) as err:
            await handlers.authorize_review(uow, review_of(placement_id), principal)
        assert str(placement_id) in err.value.detail


async def test_a_placement_not_known_yet_is_left_to_the_use_case(uow):
    """Access is judged on the retry, once the placement has arrived."""
    await handlers.authorize_review(uow, review_of(uuid4()), STRANGER_SCHOOL)


# reintegrations -----------------------------------------------------------------------------


def reintegration_of(pupil_id: UUID, placement_id: UUID | None, **overrides):
    fields = {
        "pupil_id": pupil_id,
        "placement_id": placement_id,
        "school_urn": RECEIVING_URN,
        "reintegrated_on": date(2027, 4, 12),
        "mode": "phased",
    }
    return RecordReintegration(**(fields | overrides))


async def test_a_reintegration_is_saved_and_recorded(uow):
    pupil_id = uuid4()
    placement_id = await placed(uow, pupil_id=pupil_id)
    result = await write(uow, reintegration_of(pupil_id, placement_id), SCHOOL)
    assert result.pupil_id == pupil_id
    assert recorded(uow, result) == [
        PupilReintegratedV1(
            occurred_at=date(2027, 4, 12), pupil_id=pupil_id,
            reintegration_id=result.reintegration_id, placement_id=placement_id,
            school_urn=RECEIVING_URN, reintegrated_on=date(2027, 4, 12), mode="phased",
        )
    ]  # fmt: skip
    assert uow.outcomes.reintegrations == {
        result.reintegration_id: Reintegration(
            reintegration_id=result.reintegration_id, pupil_id=pupil_id,
            reintegrated_on=date(2027, 4, 12), school_urn=RECEIVING_URN, mode="phased",
            placement_id=placement_id,
        )
    }  # fmt: skip
    assert uow.outcomes.locked == [pupil_id]


async def test_a_reintegration_of_a_pupil_never_placed_here_asks_for_a_retry(uow):
    with pytest.raises(NotYetKnownError) as err:
        await write(uow, reintegration_of(uuid4(), None), LA)
    assert err.value.field == "pupil_id"
    nothing_done(uow)


async def test_a_reintegration_before_the_named_placement_is_invalid(uow):
    pupil_id = uuid4()
    placement_id = await placed(uow, pupil_id=pupil_id)
    command = reintegration_of(pupil_id, placement_id, reintegrated_on=date(2026, 9, 1))
    with pytest.raises(InvalidCommandError) as err:
        await write(uow, command, LA)
    assert err.value.field == "reintegrated_on"
    nothing_done(uow)


async def test_the_commissioner_or_provider_of_the_named_placement_may_reintegrate(uow):
    pupil_id = uuid4()
    placement_id = await placed(uow, pupil_id=pupil_id)
    for principal in (LA, SCHOOL, PROVIDER_USER):
        await handlers.authorize_reintegration(
            uow, reintegration_of(pupil_id, placement_id), principal
        )


async def test_a_party_to_another_placement_is_forbidden(uow):
    pupil_id = uuid4()
    await placed(uow, pupil_id=pupil_id)  # SCHOOL's and PROVIDER's
    elsewhere = await placed(uow, pupil_id=pupil_id, urn=OTHER_URN, provider_id=OTHER_PROVIDER)
    with pytest.raises(ForbiddenError) as err:
        await handlers.authorize_reintegration(uow, reintegration_of(pupil_id, elsewhere), SCHOOL)
    assert str(pupil_id) in err.value.detail


async def test_the_receiving_school_naming_itself_gets_not_found(uow):
    pupil_id = uuid4()
    await placed(uow, pupil_id=pupil_id)
    with pytest.raises(NotFoundError):
        await handlers.authorize_reintegration(uow, reintegration_of(pupil_id, None), RECEIVING)


async def test_a_named_placement_not_known_yet_is_left_to_the_use_case(uow):
    pupil_id = uuid4()
    await placed(uow, pupil_id=pupil_id, urn=OTHER_URN, provider_id=OTHER_PROVIDER)
    command = reintegration_of(pupil_id, uuid4())
    await handlers.authorize_reintegration(uow, command, STRANGER_SCHOOL)
    with pytest.raises(NotYetKnownError) as err:
        await write(uow, command, STRANGER_SCHOOL)
    assert err.value.field == "placement_id"


# sustainment --------------------------------------------------------------------------------


async def reintegrated(uow, **overrides) -> Reintegration:
    pupil_id = uuid4()
    placement_id = await placed(uow, pupil_id=pupil_id)
    result = await write(uow, reintegration_of(pupil_id, placement_id, **overrides), LA)
    uow.pending.clear()
    uow.outcomes.locked.clear()
    return uow.outcomes.reintegrations[result.reintegration_id]


def sustainment_of(reintegration_id: UUID, **overrides) -> CheckSustainment:
    fields = {"reintegration_id": reintegration_id, "checked_on": date(2027, 7, 12)}
    return CheckSustainment(**(fields | {"sustained": True} | overrides))


async def test_a_sustainment_check_is_saved_on_its_reintegration_and_recorded(uow):
    before = await reintegrated(uow)
    result = await write(uow, sustainment_of(before.reintegration_id, sustained=False), RECEIVING)
    assert (result.reintegration_id, result.pupil_id, result.sustained) == (
        before.reintegration_id, before.pupil_id, False,
    )  # fmt: skip
    assert recorded(uow, result) == [
        SustainmentCheckedV1(
            occurred_at=date(2027, 7, 12), pupil_id=before.pupil_id,
            reintegration_id=before.reintegration_id, checked_on=date(2027, 7, 12),
            sustained=False,
        )
    ]  # fmt: skip
    saved = uow.outcomes.reintegrations[before.reintegration_id]
    assert (saved.checked_on, saved.sustained) == (date(2027, 7, 12), False)
    assert uow.outcomes.locked == [before.pupil_id]
    assert list(result.model_dump()) == ["reintegration_id", "pupil_id", "event_ids", "sustained"]


async def test_a_check_of_no_reintegration_is_not_found(uow):
    missing = uuid4()
    with pytest.raises(NotFoundError) as err:
        await write(uow, sustainment_of(missing), LA)
    assert err.value.detail == f"no reintegration {missing}"
    for principal in (LA, SCHOOL):  # refused before any Idempotency-Key is replayed
        with pytest.raises(NotFoundError) as err:
            await handlers.authorize_sustainment(uow, sustainment_of(missing), principal)
        assert err.value.detail == f"no reintegration {missing}"
    nothing_done(uow)


async def test_a_check_on_or_before_the_reintegration_is_invalid(uow):
    before = await reintegrated(uow)
    command = sustainment_of(before.reintegration_id, checked_on=before.reintegrated_on)
    with pytest.raises(InvalidCommandError) as err:
        await write(uow, command, LA)
    assert err.value.field == "checked_on"
    assert uow.outcomes.reintegrations[before.reintegration_id] == before
    assert uow.pending == []


async def test_the_receiving_and_commissioning_schools_may_check(uow):
    before = await reintegrated(uow)
    command = sustainment_of(before.reintegration_id)
    for principal in (LA, RECEIVING, SCHOOL):
        await handlers.authorize_sustainment(uow, command, principal)


async def test_the_provider_is_forbidden_and_a_stranger_gets_not_found(uow):
    before = await reintegrated(uow)
    command = sustainment_of(before.reintegration_id)
    with pytest.raises(ForbiddenError):
        await handlers.authorize_sustainment(uow, command, PROVIDER_USER)
    with pytest.raises(NotFoundError):
        await handlers.authorize_sustainment(uow, command, STRANGER_SCHOOL)


# destinations -------------------------------------------------------------------------------


def destination_of(pupil_id: UUID, code: int = 330) -> ConfirmDestination:
    return ConfirmDestination(pupil_id=pupil_id, activity_code=code, confirmed_on=date(2028, 10, 1))


async def test_a_destination_is_saved_and_recorded_with_its_group(uow):
    pupil_id = uuid4()
    await uow.outcomes.remember_pupil(pupil_id)
    result = await write(uow, destination_of(pupil_id), LA)
    assert (result.pupil_id, result.group) == (pupil_id, "employment")
    assert recorded(uow, result) == [
        DestinationConfirmedV1(
            occurred_at=date(2028, 10, 1), pupil_id=pupil_id,
            destination_id=result.destination_id, activity_code=330, group="employment",
            confirmed_on=date(2028, 10, 1),
        )
    ]  # fmt: skip
    assert uow.outcomes.destinations == {
        result.destination_id: Destination(
            destination_id=result.destination_id, pupil_id=pupil_id, activity_code=330,
            group="employment", confirmed_on=date(2028, 10, 1),
        )
    }  # fmt: skip
    assert uow.outcomes.locked == [pupil_id]
    assert list(result.model_dump()) == ["destination_id", "pupil_id", "event_ids", "group"]


async def test_a_destination_of_a_pupil_not_known_yet_asks_for_a_retry(uow):
    with pytest.raises(NotYetKnownError) as err:
        await write(uow, destination_of(uuid4()), LA)
    assert err.value.field == "pupil_id"
    nothing_done(uow)


async def test_a_pre16_code_is_refused_even_for_a_pupil_not_known_yet(uow):
    with pytest.raises(InvalidCommandError) as err:
        await write(uow, destination_of(uuid4(), code=110), LA)
    assert err.value.field == "activity_code"
    nothing_done(uow)


async def test_the_use_case_decides_on_what_the_access_step_checked(uow):
    """A placement arriving between the access step and the use case changes nothing: the use
    case decides on what was checked, so an unknown placement is a retry (409), and the retry's
    access step refuses the stranger once the placement is known."""
    pupil_id, placement_id = uuid4(), uuid4()
    command = reintegration_of(pupil_id, placement_id)
    checked = await handlers.authorize_reintegration(uow, command, STRANGER_SCHOOL)
    assert checked == []
    await uow.outcomes.remember_pupil(pupil_id)
    await uow.outcomes.record_placement(
        PlacementFact(placement_id, pupil_id, START, None, PROVIDER, SCHOOL_URN)
    )
    with pytest.raises(NotYetKnownError):
        await handlers.record_reintegration(uow, command, checked)
    with pytest.raises(NotFoundError):
        await write(uow, command, STRANGER_SCHOOL)
    with pytest.raises(NotFoundError):
        await write(uow, review_of(placement_id), STRANGER_SCHOOL)
    assert uow.pending == []


async def test_access_refusals_lock_nothing(uow):
    placement_id = await placed(uow, urn=OTHER_URN, provider_id=OTHER_PROVIDER)
    with pytest.raises(NotFoundError):
        await handlers.authorize_review(uow, review_of(placement_id), SCHOOL)
    with pytest.raises(ForbiddenError):
        await handlers.authorize_destination(uow, destination_of(uuid4()), SCHOOL)
    assert uow.outcomes.locked == []


async def test_each_access_step_locks_the_pupil_it_hands_on(uow):
    pupil_id = uuid4()
    placement_id = await placed(uow, pupil_id=pupil_id)
    loaded = await handlers.authorize_review(uow, review_of(placement_id), LA)
    assert loaded == uow.outcomes.placements[placement_id]
    assert uow.outcomes.locked == [pupil_id]


# each refusal as a client meets it --------------------------------------------------------


async def answer_to(uow, command, principal) -> tuple[int, str | None, int | None]:
    """(status, field, Retry-After) of the problem a refused write answers over HTTP."""
    with pytest.raises(DomainError) as err:
        await write(uow, command, principal)
    problem = problem_of(err.value)
    return problem.status, err.value.field, problem.retry_after


async def test_each_refusal_answers_its_status_field_and_retry(uow):
    placement_id = await placed(uow)
    too_many = AttendanceIn(possible_sessions=10, attended_sessions=11)
    unknown = uuid4()
    cases = {
        "attended more than possible": (
            review_of(unknown, attendance=too_many),
            (422, "attendance.attended_sessions", None),
        ),
        "placement not here yet": (review_of(unknown), (409, "placement_id", 1)),
        "review before the start": (
            review_of(placement_id, reviewed_on=date(2026, 9, 13), next_review_on=None),
            (409, "reviewed_on", None),
        ),
        "no such reintegration": (sustainment_of(unknown), (404, None, None)),
        "code outside the set": (destination_of(unknown, code=500), (422, "activity_code", None)),
        "pupil not here yet": (destination_of(unknown, code=210), (409, "pupil_id", 1)),
    }
    for name, (command, expected) in cases.items():
        assert await answer_to(uow, command, LA) == expected, name
    nothing_done(uow)


async def test_a_review_on_the_first_day_is_recorded(uow):
    placement_id = await placed(uow)
    result = await write(uow, review_of(placement_id, reviewed_on=START), LA)
    assert uow.outcomes.reviews[result.review_id].reviewed_on == START


async def test_a_pre16_code_is_refused_saying_why(uow):
    with pytest.raises(InvalidCommandError) as err:
        await write(uow, destination_of(uuid4(), code=130), LA)
    assert "pre-16" in err.value.detail and "custodial sentence" in err.value.detail


async def test_a_sustainment_check_on_or_before_the_return_is_refused_then_later_recorded(uow):
    before = await reintegrated(uow)
    for checked_on in (date(2027, 2, 1), before.reintegrated_on):
        command = sustainment_of(before.reintegration_id, checked_on=checked_on)
        assert await answer_to(uow, command, LA) == (422, "checked_on", None)
    later = await write(uow, sustainment_of(before.reintegration_id), LA)
    assert later.sustained is True
