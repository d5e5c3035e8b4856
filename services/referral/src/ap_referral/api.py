"""HTTP routes of the referral service: parse, authorise (access.py), delegate, answer."""

from typing import Annotated, Any
from uuid import UUID

from ap_chassis.access import enforce
from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.http import IdempotencyKey, execute
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from . import access, audit_sql, domain, handlers
from .models import DecisionIn, ReferralIn, WithdrawalIn

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
Caller = Annotated[Principal, Depends(require(*ROLES))]


@router.post("", status_code=201)
async def create_referral(
    body: ReferralIn, request: Request, principal: Caller, idempotency_key: IdempotencyKey = None
) -> JSONResponse:
    """Refer a pupil to AP. A school refers as itself; the same UPN keeps its pupil_id.

    A known UPN with different identifying details does not change the register: the answer
    names an `identity_change_id`, a proposal an LA officer may apply.
    """
    referrer = access.ReferrerRef(body.referrer.kind, body.referrer.urn)
    enforce(access.can(principal, "refer", referrer), action="refer", what="as this referrer")
    rule = getattr(request.app.state.settings, "identity_auto_apply", "")
    auto_apply = frozenset(f.strip() for f in rule.split(",") if f.strip())
    refer = audit_sql.recorded(handlers.refer_pupil, "referral: UPN mapped to pupil_id")
    return await execute(refer, request, principal, body, idempotency_key, auto_apply=auto_apply)


@router.post("/{referral_id}/decision")
async def decide_referral(
    referral_id: UUID,
    body: DecisionIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Accept or decline a referral (LA officers only); a second decision is 409."""
    access.POLICY.check_role(principal, "decide")
    return await execute(
        handlers.decide_referral,
        request,
        principal,
        body,
        idempotency_key,
        authorize=handlers.authorize_decision,
        referral_id=referral_id,
    )


@router.post("/{referral_id}/withdrawal")
async def withdraw_referral(
    referral_id: UUID,
    body: WithdrawalIn,
    request: Request,
    principal: Caller,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    access.POLICY.check_role(principal, "withdraw")
    return await execute(
        handlers.withdraw_referral,
        request,
        principal,
        body,
        idempotency_key,
        authorize=handlers.authorize_withdrawal,
        referral_id=referral_id,
    )


@router.get("/{referral_id}")
async def get_referral(referral_id: UUID, request: Request, principal: Caller) -> dict[str, Any]:
    """The referral and its status (no identifying details: those stay in the register)."""
    access.POLICY.check_role(principal, "read")
    async with request.app.state.runtime.pool.acquire() as conn:
        referral = await handlers.find_referral(conn, referral_id, principal)
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
    }
