"""HTTP routes of the referral service: parse, authorise (access.py), build the command,
dispatch it to its handler in one unit of work, answer."""

from typing import Annotated, Any, TypeVar
from uuid import UUID

from ap_chassis.access import enforce
from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.http import Authorizer, Handler, IdempotencyKey, dispatch
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from . import access, domain, handlers
from .commands import DecideReferral, Identity, ReferPupil, WithdrawReferral
from .models import DecisionIn, ReferralIn, WithdrawalIn
from .repository import PgReferrals
from .results import ReferralResult, ReferralWithChange
from .uow import ReferralUnitOfWork

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
Caller = Annotated[Principal, Depends(require(*ROLES))]
C = TypeVar("C")


async def run(
    request: Request,
    principal: Principal,
    body: BaseModel,
    idempotency_key: str | None,
    handler: Handler[ReferralUnitOfWork, C],
    command: C,
    *,
    authorize: Authorizer[ReferralUnitOfWork, C] | None = None,
    status_code: int = 200,
) -> JSONResponse:
    """`dispatch` on the referral service's unit of work: every write route ends here."""
    return await dispatch(
        request, principal, handler=handler, command=command, unit_of_work=ReferralUnitOfWork,
        body=body, idempotency_key=idempotency_key, authorize=authorize, status_code=status_code,
    )  # fmt: skip


def auto_apply(request: Request) -> frozenset[str]:
    """The LA's rule (settings): register fields a referral may change without review."""
    rule = getattr(request.app.state.settings, "identity_auto_apply", "")
    return frozenset(f.strip() for f in rule.split(",") if f.strip())


def refer_command(body: ReferralIn, auto_apply: frozenset[str]) -> ReferPupil:
    return ReferPupil(
        upn=body.upn,
        identity=Identity(**{f: getattr(body, f) for f in domain.IDENTITY_FIELDS}),
        referrer=body.referrer,
        reason=body.reason,
        tier_requested=body.tier_requested,
        referred_on=body.referred_on,
        excluded_on=body.excluded_on,
        home_school_urn=body.home_school_urn,
        route=body.route or "la_arranged",
        auto_apply=auto_apply,
    )


@router.post("", status_code=201, response_model=ReferralResult | ReferralWithChange)
async def create_referral(
    body: ReferralIn, request: Request, principal: Caller, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Refer a pupil to AP. A school refers as itself; the same UPN keeps its pupil_id.

    `route: school_arranged` records AP a school arranged for a pupil on its own roll: the
    referral is accepted by that school at once (status `accepted`), no LA decision.

    A known UPN with different identifying details does not change the register: the answer
    names an `identity_change_id`, a proposal an LA officer may apply.
    """
    referrer = access.ReferrerRef(body.referrer.kind, body.referrer.urn)
    enforce(access.can(principal, "refer", referrer), action="refer", what="as this referrer")
    if body.route == "school_arranged":
        pupil_of = access.ReferrerRef("school", body.home_school_urn or body.referrer.urn)
        enforce(access.can(principal, "arrange", pupil_of), action="arrange AP",
                what="for a pupil on another school's roll")  # fmt: skip
    command = refer_command(body, auto_apply(request))
    return await run(
        request, principal, body, idempotency_key, handlers.refer_pupil, command, status_code=201
    )


@router.post("/{referral_id}/decision", response_model=ReferralResult)
async def decide_referral(
    referral_id: UUID,
    body: DecisionIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Accept or decline a referral (LA officers only); a second decision is 409."""
    access.POLICY.check_role(principal, "decide")
    command = DecideReferral(referral_id, body.decision, body.decided_on, body.reason)
    return await run(
        request, principal, body, idempotency_key, handlers.decide_referral, command,
        authorize=handlers.authorize_decision,
    )  # fmt: skip


@router.post("/{referral_id}/withdrawal", response_model=ReferralResult)
async def withdraw_referral(
    referral_id: UUID,
    body: WithdrawalIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    access.POLICY.check_role(principal, "withdraw")
    command = WithdrawReferral(referral_id, body.withdrawn_on, body.reason)
    return await run(
        request, principal, body, idempotency_key, handlers.withdraw_referral, command,
        authorize=handlers.authorize_withdrawal,
    )  # fmt: skip


@router.get("/{referral_id}")
async def get_referral(referral_id: UUID, request: Request, principal: Caller) -> dict[str, Any]:
    """The referral and its status (no identifying details: those stay in the register)."""
    access.POLICY.check_role(principal, "read")
    async with request.app.state.runtime.pool.acquire() as conn:
        referral = await handlers.visible_referral(PgReferrals(conn), referral_id, principal)
    return {
        "referral_id": str(referral.referral_id),
        "pupil_id": str(referral.pupil_id),
        "status": referral.status,
        "referrer": {"kind": referral.referrer_kind, "urn": referral.referrer_urn},
        "reason": referral.reason,
        "tier_requested": referral.tier_requested,
        "referred_on": referral.referred_on.isoformat(),
        "excluded_on": referral.excluded_on and referral.excluded_on.isoformat(),
        "sixth_school_day": referral.excluded_on
        and domain.sixth_school_day(referral.excluded_on).isoformat(),
        "sen_provision": referral.sen_provision,
        "home_school_urn": referral.home_school_urn,
        "decision": referral.decision,
        "decided_on": referral.decided_on and referral.decided_on.isoformat(),
        "decision_reason": referral.decision_reason,
        "withdrawn_on": referral.withdrawn_on and referral.withdrawn_on.isoformat(),
        "withdrawal_reason": referral.withdrawal_reason,
        "route": referral.route,
    }
