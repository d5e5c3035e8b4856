"""Placement use cases: load, decide with the domain, save with the outbox in one transaction."""

from typing import Any, cast
from uuid import UUID, uuid4

import asyncpg
from ap_chassis.auth import Principal
from ap_chassis.errors import NotFoundError
from ap_chassis.http import EventContext, record
from ap_schemas.codes import ReferralReason
from ap_schemas.envelope import utcnow
from ap_schemas.events import PlacementEndedV1, ProviderRegisteredV1, PupilPlacedV1, PupilPlacedV2

from . import domain, repository
from .models import PlacementEndIn, PlacementIn, ProviderIn

Answer = tuple[int, dict[str, Any]]


async def register_provider(
    conn: asyncpg.Connection, *, cmd: ProviderIn, ctx: EventContext, principal: Principal
) -> Answer:
    domain.check_provider(urn=cmd.urn, ukprn=cmd.ukprn, setting_type=cmd.setting_type)
    provider_id = uuid4()
    await repository.insert_provider(conn, provider_id, cmd.model_dump())
    event_ids = await record(
        conn,
        ctx,
        ProviderRegisteredV1(
            occurred_at=utcnow().date(), provider_id=provider_id, **cmd.model_dump()
        ),
    )
    return 201, {"provider_id": str(provider_id), "event_ids": event_ids}


async def place_pupil(
    conn: asyncpg.Connection, *, cmd: PlacementIn, ctx: EventContext, principal: Principal
) -> Answer:
    referral = domain.check_referral_placeable(
        await repository.get_referral(conn, cmd.referral_id), cmd.referral_id
    )
    if not await repository.provider_exists(conn, cmd.provider_id):
        raise NotFoundError(f"no provider {cmd.provider_id}", field="provider_id")
    await repository.lock_pupil(conn, referral.pupil_id)
    domain.check_new_placement(
        open_placement=await repository.open_placement(conn, referral.pupil_id),
        start_date=cmd.start_date,
        planned_end_date=cmd.planned_end_date,
    )
    cost = cmd.cost
    annual = (
        None
        if cost is None
        else domain.annual_cost_pence(
            amount_pence=cost.amount_pence, per=cost.per, sessions_per_week=cmd.sessions_per_week
        )
    )
    placement_id = uuid4()
    reason = cast(ReferralReason, referral.reason or "other")
    await repository.insert_placement(conn, {
        "placement_id": placement_id, "pupil_id": referral.pupil_id,
        "referral_id": cmd.referral_id, "provider_id": cmd.provider_id,
        "commissioner_kind": cmd.commissioner.kind, "commissioner_urn": cmd.commissioner.urn,
        "tier": cmd.tier, "start_date": cmd.start_date, "planned_end_date": cmd.planned_end_date,
        "sessions_per_week": cmd.sessions_per_week,
        "cost_amount_pence": cost.amount_pence if cost else None,
        "cost_per": cost.per if cost else None, "annual_cost_pence": annual,
        "dual_registered": cmd.dual_registered, "reason": reason,
    })  # fmt: skip
    # A known cost keeps v1 for its readers; an unknown one needs v2 (see PupilPlacedV2).
    placed: type[PupilPlacedV1 | PupilPlacedV2] = PupilPlacedV1 if cost else PupilPlacedV2
    event_ids = await record(
        conn,
        ctx,
        placed(
            occurred_at=cmd.start_date,
            pupil_id=referral.pupil_id,
            placement_id=placement_id,
            referral_id=cmd.referral_id,
            provider_id=cmd.provider_id,
            commissioner=cmd.commissioner,
            tier=cmd.tier,
            start_date=cmd.start_date,
            planned_end_date=cmd.planned_end_date,
            sessions_per_week=cmd.sessions_per_week,
            cost=cmd.cost,
            annual_cost_pence=annual,
            dual_registered=cmd.dual_registered,
            reason=reason,
        ),
    )
    return 201, {
        "placement_id": str(placement_id),
        "pupil_id": str(referral.pupil_id),
        "annual_cost_pence": annual,
        "event_ids": event_ids,
    }


async def find_placement(
    conn: asyncpg.Connection, placement_id: UUID, principal: Principal
) -> domain.Placement:
    placement = await repository.get_placement(conn, placement_id)
    if placement is None or not domain.may_see(
        placement, role=principal.role, urn=principal.urn, provider_id=principal.provider_id
    ):
        raise NotFoundError(f"no placement {placement_id}")
    return placement


async def end_placement(
    conn: asyncpg.Connection,
    *,
    placement_id: UUID,
    cmd: PlacementEndIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    placement = await find_placement(conn, placement_id, principal)
    await repository.lock_pupil(conn, placement.pupil_id)
    placement = await find_placement(conn, placement_id, principal)  # re-read under the lock
    ended = domain.end(placement, end_date=cmd.end_date, reason=cmd.reason)
    await repository.save_end(conn, ended)
    event_ids = await record(
        conn,
        ctx,
        PlacementEndedV1(
            occurred_at=cmd.end_date,
            pupil_id=ended.pupil_id,
            placement_id=placement_id,
            end_date=cmd.end_date,
            reason=cmd.reason,
        ),
    )
    return 200, {
        "placement_id": str(placement_id),
        "pupil_id": str(ended.pupil_id),
        "status": "ended",
        "event_ids": event_ids,
    }
