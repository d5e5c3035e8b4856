"""Outcome use cases: check access on what the rule reads, let the domain decide, save, record.

Each write has two steps, run by its route (`api.py`) in one unit of work:
- `authorize_*(uow, command, principal)` loads what the access rule decides on, checks it
  (403/404), locks the pupil's row when the pupil is known, and returns what it loaded;
- the use case `(uow, command, loaded)` decides on exactly that, so what was checked is what is
  decided on, and it has no principal to check again with.
Neither knows HTTP nor commits: the edge that opened the unit of work commits once the answer is
remembered. Something another service owns and not heard of yet (a placement, a pupil) passes
the access step and is answered 409 with a retry by the domain; access is judged on the retry.
"""

from uuid import UUID, uuid4

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
from .domain import PlacementFact, Reintegration
from .uow import OutcomesWork


async def checked(
    uow: OutcomesWork,
    principal: Principal,
    action: access.Action,
    resource: access.Resource,
    *,
    what: str,
    pupil_id: UUID | None,
) -> None:
    """Refuse the caller as the policy says (403/404); else lock the pupil, when known, for the
    rest of the command, so one pupil's writes are decided one at a time."""
    access.check(principal, action, resource, what=what)
    if pupil_id is not None:
        await uow.outcomes.lock_pupil(pupil_id)


async def authorize_review(
    uow: OutcomesWork, command: RecordReview, principal: Principal
) -> PlacementFact | None:
    """The placement to review, once the caller may review it; None when not known here yet."""
    placement = await uow.outcomes.get_placement(command.placement_id)
    await checked(
        uow, principal, "review", access.review_target(placement),
        what=f"placement {command.placement_id}",
        pupil_id=placement.pupil_id if placement else None,
    )  # fmt: skip
    return placement


async def record_review(
    uow: OutcomesWork, command: RecordReview, placement: PlacementFact | None
) -> ReviewRecorded:
    """Record a placement review; the placement must be known here and open on the date."""
    review, events = domain.decide_review(placement, command, uuid4())
    await uow.outcomes.add_review(review)
    return ReviewRecorded(
        review_id=review.review_id, pupil_id=review.pupil_id, event_ids=uow.record(*events)
    )


async def authorize_reintegration(
    uow: OutcomesWork, command: RecordReintegration, principal: Principal
) -> list[PlacementFact]:
    """The pupil's placements known here, once the caller may record a return from them."""
    placements = await uow.outcomes.pupil_placements(command.pupil_id)
    target = access.reintegration_target(placements, command.placement_id)
    await checked(
        uow, principal, "reintegrate", target, what=f"pupil {command.pupil_id}",
        pupil_id=command.pupil_id if placements else None,
    )  # fmt: skip
    return placements


async def record_reintegration(
    uow: OutcomesWork, command: RecordReintegration, placements: list[PlacementFact]
) -> ReintegrationRecorded:
    """Record a return to school: the LA, or the commissioner or provider of the placement."""
    done, events = domain.decide_reintegration(placements, command, uuid4())
    await uow.outcomes.save_reintegration(done)
    return ReintegrationRecorded(
        reintegration_id=done.reintegration_id, pupil_id=done.pupil_id,
        event_ids=uow.record(*events),
    )  # fmt: skip


async def authorize_sustainment(
    uow: OutcomesWork, command: CheckSustainment, principal: Principal
) -> Reintegration | None:
    """The reintegration to check, once the caller may check it (none held: 404 to all)."""
    reintegration = await uow.outcomes.get_reintegration(command.reintegration_id)
    named = None
    if reintegration is not None and reintegration.placement_id is not None:
        named = await uow.outcomes.get_placement(reintegration.placement_id)
    await checked(
        uow, principal, "check_sustainment", access.sustainment_target(reintegration, named),
        what=f"reintegration {command.reintegration_id}",
        pupil_id=reintegration.pupil_id if reintegration else None,
    )  # fmt: skip
    return reintegration


async def check_sustainment(
    uow: OutcomesWork, command: CheckSustainment, reintegration: Reintegration | None
) -> SustainmentChecked:
    """Record whether a return to school held; a later check replaces an earlier one."""
    checked, events = domain.decide_sustainment(reintegration, command)
    await uow.outcomes.save_reintegration(checked)
    return SustainmentChecked(
        reintegration_id=checked.reintegration_id, pupil_id=checked.pupil_id,
        event_ids=uow.record(*events), sustained=command.sustained,
    )  # fmt: skip


async def authorize_destination(
    uow: OutcomesWork, command: ConfirmDestination, principal: Principal
) -> bool:
    """Whether the pupil is known here, once the caller may confirm a destination at all."""
    known = await uow.outcomes.pupil_known(command.pupil_id)
    await checked(
        uow, principal, "confirm_destination", None, what=f"pupil {command.pupil_id}",
        pupil_id=command.pupil_id if known else None,
    )  # fmt: skip
    return known


async def confirm_destination(
    uow: OutcomesWork, command: ConfirmDestination, pupil_known: bool
) -> DestinationConfirmed:
    """Confirm a post-16 destination; the activity code comes from the destination code set."""
    destination, events = domain.decide_destination(pupil_known, command, uuid4())
    await uow.outcomes.add_destination(destination)
    return DestinationConfirmed(
        destination_id=destination.destination_id, pupil_id=destination.pupil_id,
        event_ids=uow.record(*events), group=destination.group,
    )  # fmt: skip
