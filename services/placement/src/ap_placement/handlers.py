"""Placement use cases: load, decide with the domain, save with the outbox in one transaction."""

from typing import Any, cast
from uuid import UUID, uuid4

import asyncpg
from ap_chassis.access import NOT_FOUND, enforce
from ap_chassis.auth import Principal
from ap_chassis.errors import NotFoundError
from ap_chassis.http import EventContext, record
from ap_schemas.codes import ReferralReason
from ap_schemas.envelope import utcnow
from ap_schemas.events import PlacementEndedV1, ProviderRegisteredV1, PupilPlacedV1, PupilPlacedV2

from . import access, domain, provider_handlers, repository
from .models import PlacementEndIn, PlacementIn, ProviderIn
from .provider_quality import ApprovalMode

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


async def authorize_placement(
    conn: asyncpg.Connection, *, cmd: PlacementIn, principal: Principal, **_: object
) -> None:
    """A school places only on a referral it made; one not known here yet waits (409 later)."""
    referral = await repository.get_referral(conn, cmd.referral_id)
    if referral is not None:
        outcome = access.can(principal, "place_on", access.ReferralRef(referral.referrer_urn))
        enforce(outcome, action="place on", what=f"referral {cmd.referral_id}")


async def place_pupil(
    conn: asyncpg.Connection,
    *,
    cmd: PlacementIn,
    ctx: EventContext,
    principal: Principal,
    approval_mode: ApprovalMode = "warn",
) -> Answer:
    referral = domain.check_referral_placeable(
        await repository.get_referral(conn, cmd.referral_id), cmd.referral_id
    )
    await authorize_placement(conn, cmd=cmd, principal=principal)  # the replica may have moved
    if not await repository.provider_exists(conn, cmd.provider_id):
        raise NotFoundError(f"no provider {cmd.provider_id}", field="provider_id")
    await repository.lock_pupil(conn, referral.pupil_id)
    domain.check_new_placement(
        open_placement=await repository.open_placement(conn, referral.pupil_id),
        start_date=cmd.start_date,
        planned_end_date=cmd.planned_end_date,
    )
    cost = await provider_handlers.cost_or_contracted(conn, cmd=cmd)
    vetting = await provider_handlers.vet_placement(
        conn, cmd=cmd, principal=principal, mode=approval_mode
    )
    annual = (
        None
        if cost is None
        else domain.annual_cost_pence(
            amount_pence=cost.amount_pence, per=cost.per, sessions_per_week=cmd.sessions_per_week
        )
    )
    placement_id = uuid4()
    reason = cast(ReferralReason, referral.reason or "other")
    funded_by = cmd.funded_by or cmd.commissioner.kind  # who pays: the commissioner by default
    await repository.insert_placement(conn, {
        "placement_id": placement_id, "pupil_id": referral.pupil_id,
        "referral_id": cmd.referral_id, "provider_id": cmd.provider_id,
        "commissioner_kind": cmd.commissioner.kind, "commissioner_urn": cmd.commissioner.urn,
        "tier": cmd.tier, "start_date": cmd.start_date, "planned_end_date": cmd.planned_end_date,
        "sessions_per_week": cmd.sessions_per_week,
        "cost_amount_pence": cost.amount_pence if cost else None,
        "cost_per": cost.per if cost else None, "annual_cost_pence": annual,
        "dual_registered": cmd.dual_registered, "reason": reason, "phase": cmd.phase,
        "funded_by": funded_by,
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
            cost=cost,
            annual_cost_pence=annual,
            dual_registered=cmd.dual_registered,
            reason=reason,
            funded_by=funded_by,
        ),
        *vetting.events(
            provider_id=cmd.provider_id, placement_id=placement_id, tier=cmd.tier,
            phase=cmd.phase, on=cmd.start_date,
        ),
    )  # fmt: skip
    return 201, {
        "placement_id": str(placement_id),
        "pupil_id": str(referral.pupil_id),
        "annual_cost_pence": annual,
        "warnings": vetting.warnings,
        "event_ids": event_ids,
    }


async def find_placement(
    conn: asyncpg.Connection,
    placement_id: UUID,
    principal: Principal,
    action: access.Action = "read",
) -> domain.Placement:
    """The placement if the caller may do `action` to it; 404 when it may not know it exists."""
    placement = await repository.get_placement(conn, placement_id)
    outcome = access.can(principal, action, _ref(placement)) if placement is not None else NOT_FOUND
    enforce(outcome, action=action, what=f"placement {placement_id}")
    assert placement is not None
    return placement


def _ref(placement: domain.Placement) -> access.PlacementRef:
    return access.PlacementRef(placement.commissioner_urn, str(placement.provider_id))


async def authorize_end(
    conn: asyncpg.Connection, *, cmd: PlacementEndIn, principal: Principal, placement_id: UUID
) -> None:
    await find_placement(conn, placement_id, principal, "end")


async def end_placement(
    conn: asyncpg.Connection,
    *,
    placement_id: UUID,
    cmd: PlacementEndIn,
    ctx: EventContext,
    principal: Principal,
) -> Answer:
    placement = await find_placement(conn, placement_id, principal, "end")
    await repository.lock_pupil(conn, placement.pupil_id)
    placement = await find_placement(conn, placement_id, principal, "end")  # under the lock
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
