"""Outcome use cases: check with the domain, save with the outbox in one transaction."""

from typing import Any
from uuid import UUID, uuid4

import asyncpg
from ap_chassis.access import NOT_FOUND, enforce
from ap_chassis.auth import Principal
from ap_chassis.db import insert_row
from ap_chassis.errors import NotFoundError
from ap_chassis.http import EventContext, record
from ap_schemas.events import (
    DestinationConfirmedV1,
    PlacementReviewedV1,
    PupilReintegratedV1,
    SustainmentCheckedV1,
)

from . import access, domain, repository
from .models import DestinationIn, ReintegrationIn, ReviewIn, SustainmentIn

Answer = tuple[int, dict[str, Any]]


def _answer(key: str, value: UUID, pupil_id: UUID, event_ids: list[str]) -> dict[str, Any]:
    return {key: str(value), "pupil_id": str(pupil_id), "event_ids": event_ids}


def _ref(placement: domain.PlacementFact | None) -> access.PlacementRef | None:
    if placement is None:
        return None
    provider_id = str(placement.provider_id) if placement.provider_id else None
    return access.PlacementRef(placement.commissioner_urn, provider_id)


async def authorize_review(
    conn: asyncpg.Connection, *, cmd: ReviewIn, principal: Principal
) -> None:
    """A placement not known here yet is left to the use case (409, retry)."""
    placement = await repository.get_placement(conn, cmd.placement_id)
    if placement is not None:
        outcome = access.can(principal, "review", _ref(placement))
        enforce(outcome, action="review", what=f"placement {cmd.placement_id}")


async def authorize_reintegration(
    conn: asyncpg.Connection, *, cmd: ReintegrationIn, principal: Principal
) -> None:
    """The LA, or the commissioner or provider of the named placement (api.md: README)."""
    placements = await repository.pupil_placements(conn, cmd.pupil_id)
    named = next((p for p in placements if p.placement_id == cmd.placement_id), None)
    if cmd.placement_id is not None and named is None:
        return  # not known here yet: the use case answers 409, retry
    resource = access.PupilPlacementsRef(
        _ref(named), tuple(r for p in placements if (r := _ref(p)) is not None)
    )
    outcome = access.can(principal, "reintegrate", resource)
    enforce(outcome, action="record a reintegration of", what=f"pupil {cmd.pupil_id}")


async def authorize_sustainment(
    conn: asyncpg.Connection, *, cmd: SustainmentIn, principal: Principal, reintegration_id: UUID
) -> None:
    reintegration = await repository.get_reintegration(conn, reintegration_id)
    outcome = NOT_FOUND
    if reintegration is not None:
        named = None
        if reintegration.placement_id is not None:
            named = await repository.get_placement(conn, reintegration.placement_id)
        resource = access.ReintegrationRef(reintegration.school_urn, _ref(named))
        outcome = access.can(principal, "check_sustainment", resource)
    enforce(outcome, action="check", what=f"reintegration {reintegration_id}")


async def record_review(
    conn: asyncpg.Connection, *, cmd: ReviewIn, ctx: EventContext, principal: Principal
) -> Answer:
    placement = domain.check_review(
        await repository.get_placement(conn, cmd.placement_id),
        cmd.placement_id,
        reviewed_on=cmd.reviewed_on,
        next_review_on=cmd.next_review_on,
        possible_sessions=cmd.attendance.possible_sessions,
        attended_sessions=cmd.attendance.attended_sessions,
    )
    await repository.lock_pupil(conn, placement.pupil_id)
    review_id = uuid4()
    await insert_row(conn, "reviews", {
        "review_id": review_id, "placement_id": cmd.placement_id,
        "pupil_id": placement.pupil_id, "reviewed_on": cmd.reviewed_on,
        "possible_sessions": cmd.attendance.possible_sessions,
        "attended_sessions": cmd.attendance.attended_sessions,
        "progress": cmd.progress, "outcome": cmd.outcome, "next_review_on": cmd.next_review_on,
    })  # fmt: skip
    event_ids = await record(conn, ctx, PlacementReviewedV1(
        occurred_at=cmd.reviewed_on, pupil_id=placement.pupil_id, review_id=review_id,
        **cmd.model_dump(),
    ))  # fmt: skip
    return 201, _answer("review_id", review_id, placement.pupil_id, event_ids)


async def record_reintegration(
    conn: asyncpg.Connection, *, cmd: ReintegrationIn, ctx: EventContext, principal: Principal
) -> Answer:
    placements = await repository.pupil_placements(conn, cmd.pupil_id)
    domain.check_reintegration(
        placements, cmd.pupil_id, placement_id=cmd.placement_id,
        reintegrated_on=cmd.reintegrated_on,
    )  # fmt: skip
    await repository.lock_pupil(conn, cmd.pupil_id)
    reintegration_id = uuid4()
    await insert_row(conn, "reintegrations", {
        "reintegration_id": reintegration_id, **cmd.model_dump(),
    })  # fmt: skip
    event_ids = await record(conn, ctx, PupilReintegratedV1(
        occurred_at=cmd.reintegrated_on, reintegration_id=reintegration_id, **cmd.model_dump(),
    ))  # fmt: skip
    return 201, _answer("reintegration_id", reintegration_id, cmd.pupil_id, event_ids)


async def check_sustainment(
    conn: asyncpg.Connection,
    *,
    reintegration_id: UUID,
    cmd: SustainmentIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    reintegration = await repository.get_reintegration(conn, reintegration_id)
    if reintegration is None:
        raise NotFoundError(f"no reintegration {reintegration_id}")
    domain.check_sustainment(reintegration, checked_on=cmd.checked_on)
    await repository.lock_pupil(conn, reintegration.pupil_id)
    await repository.save_sustainment(conn, reintegration_id, cmd.checked_on, cmd.sustained)
    event_ids = await record(conn, ctx, SustainmentCheckedV1(
        occurred_at=cmd.checked_on, pupil_id=reintegration.pupil_id,
        reintegration_id=reintegration_id, **cmd.model_dump(),
    ))  # fmt: skip
    answer = _answer("reintegration_id", reintegration_id, reintegration.pupil_id, event_ids)
    return 200, {**answer, "sustained": cmd.sustained}


async def confirm_destination(
    conn: asyncpg.Connection, *, cmd: DestinationIn, ctx: EventContext, principal: Principal
) -> Answer:
    group = domain.destination_group_of(cmd.activity_code)
    domain.check_destination(await repository.pupil_known(conn, cmd.pupil_id), cmd.pupil_id)
    await repository.lock_pupil(conn, cmd.pupil_id)
    destination_id = uuid4()
    await insert_row(conn, "destinations", {
        "destination_id": destination_id, "pupil_id": cmd.pupil_id,
        "activity_code": cmd.activity_code, "activity_group": group,
        "confirmed_on": cmd.confirmed_on,
    })  # fmt: skip
    event_ids = await record(conn, ctx, DestinationConfirmedV1(
        occurred_at=cmd.confirmed_on, destination_id=destination_id, group=group,
        **cmd.model_dump(),
    ))  # fmt: skip
    return 201, {
        **_answer("destination_id", destination_id, cmd.pupil_id, event_ids),
        "group": group,
    }
