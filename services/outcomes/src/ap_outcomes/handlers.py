"""Outcome use cases: load through the unit of work, let the domain decide, save, record.

Each write has a thin `authorize_*` (load what the policy reads, ask `access`) that the edge
runs before an idempotent replay, and a handler that runs the command. Neither knows HTTP nor
commits: the edge that opened the unit of work commits once the answer is remembered.
"""

from uuid import uuid4

from ap_chassis.auth import Principal

from . import access, domain
from .commands import (
    CheckSustainment,
    ConfirmDestination,
    DestinationConfirmed,
    RecordReintegration,
    RecordReview,
    ReintegrationRecorded,
    ReviewRecorded,
    SustainmentChecked,
)
from .uow import OutcomesWork


async def authorize_review(uow: OutcomesWork, command: RecordReview, principal: Principal) -> None:
    placement = await uow.outcomes.get_placement(command.placement_id)
    access.check(
        principal, "review", access.review_target(placement),
        what=f"placement {command.placement_id}",
    )  # fmt: skip


async def authorize_reintegration(
    uow: OutcomesWork, command: RecordReintegration, principal: Principal
) -> None:
    placements = await uow.outcomes.pupil_placements(command.pupil_id)
    access.check(
        principal, "reintegrate", access.reintegration_target(placements, command.placement_id),
        what=f"pupil {command.pupil_id}",
    )  # fmt: skip


async def authorize_sustainment(
    uow: OutcomesWork, command: CheckSustainment, principal: Principal
) -> None:
    reintegration = await uow.outcomes.get_reintegration(command.reintegration_id)
    named = None
    if reintegration is not None and reintegration.placement_id is not None:
        named = await uow.outcomes.get_placement(reintegration.placement_id)
    access.check(
        principal, "check_sustainment", access.sustainment_target(reintegration, named),
        what=f"reintegration {command.reintegration_id}",
    )  # fmt: skip


async def record_review(
    uow: OutcomesWork, command: RecordReview, principal: Principal
) -> ReviewRecorded:
    placement = await uow.outcomes.get_placement(command.placement_id)
    # Checked again on this read: a placement unknown at `authorize_review` may have arrived since.
    access.check(
        principal, "review", access.review_target(placement),
        what=f"placement {command.placement_id}",
    )  # fmt: skip
    review, events = domain.decide_review(placement, command, uuid4())
    await uow.outcomes.lock_pupil(review.pupil_id)
    await uow.outcomes.add_review(review)
    return ReviewRecorded(
        review_id=review.review_id, pupil_id=review.pupil_id, event_ids=uow.record(*events)
    )


async def record_reintegration(
    uow: OutcomesWork, command: RecordReintegration, principal: Principal
) -> ReintegrationRecorded:
    placements = await uow.outcomes.pupil_placements(command.pupil_id)
    # Checked again on this read: a placement unknown at `authorize_reintegration` may have
    # arrived since, and it decides who may record this.
    access.check(
        principal, "reintegrate", access.reintegration_target(placements, command.placement_id),
        what=f"pupil {command.pupil_id}",
    )  # fmt: skip
    done, events = domain.decide_reintegration(placements, command, uuid4())
    await uow.outcomes.lock_pupil(done.pupil_id)
    await uow.outcomes.save_reintegration(done)
    return ReintegrationRecorded(
        reintegration_id=done.reintegration_id, pupil_id=done.pupil_id,
        event_ids=uow.record(*events),
    )  # fmt: skip


async def check_sustainment(
    uow: OutcomesWork, command: CheckSustainment, principal: Principal
) -> SustainmentChecked:
    reintegration = await uow.outcomes.get_reintegration(command.reintegration_id)
    checked, events = domain.decide_sustainment(reintegration, command)
    await uow.outcomes.lock_pupil(checked.pupil_id)
    await uow.outcomes.save_reintegration(checked)
    return SustainmentChecked(
        reintegration_id=checked.reintegration_id, pupil_id=checked.pupil_id,
        event_ids=uow.record(*events), sustained=command.sustained,
    )  # fmt: skip


async def confirm_destination(
    uow: OutcomesWork, command: ConfirmDestination, principal: Principal
) -> DestinationConfirmed:
    known = await uow.outcomes.pupil_known(command.pupil_id)
    destination, events = domain.decide_destination(known, command, uuid4())
    await uow.outcomes.lock_pupil(destination.pupil_id)
    await uow.outcomes.add_destination(destination)
    return DestinationConfirmed(
        destination_id=destination.destination_id, pupil_id=destination.pupil_id,
        event_ids=uow.record(*events), group=destination.group,
    )  # fmt: skip
