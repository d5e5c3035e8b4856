"""HTTP routes of the referral service: the reads, and one declaration per write whose arguments
follow the request (`ap_chassis.command_route` says what each step does; `handlers.authorize_*`
loads and checks what access decides on)."""

from typing import Annotated, Any
from uuid import UUID

from ap_chassis.auth import ROLES, Principal, require
from ap_chassis.command_route import CommandRoutes
from ap_chassis.settings import ServiceSettings
from fastapi import APIRouter, Depends, Request

from . import access, domain, handlers
from .commands import DecideReferral, Identity, ReferPupil, WithdrawReferral
from .models import DecisionIn, ReferralIn, WithdrawalIn
from .repository import PgReferrals
from .results import ReferralResult, ReferralWithChange
from .uow import ReferralUnitOfWork

router = APIRouter(prefix="/v1/referrals", tags=["referrals"])
writes = CommandRoutes(router, unit_of_work=ReferralUnitOfWork, policy=access.POLICY)
Caller = Annotated[Principal, Depends(require(*ROLES))]


def auto_apply(settings: ServiceSettings) -> frozenset[str]:
    """The LA's rule (settings): register fields a referral may change without review."""
    rule = getattr(settings, "identity_auto_apply", "")
    return frozenset(f.strip() for f in rule.split(",") if f.strip())


def refer_command(body: ReferralIn, settings: ServiceSettings) -> ReferPupil:
    """A referral: the body's identity split from the referral, under the LA's auto-apply rule."""
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
        auto_apply=auto_apply(settings),
    )


def decision_command(body: DecisionIn, referral_id: UUID) -> DecideReferral:
    """A decision: its body and the referral the path names."""
    return DecideReferral(referral_id, body.decision, body.decided_on, body.reason)


def withdrawal_command(body: WithdrawalIn, referral_id: UUID) -> WithdrawReferral:
    """A withdrawal: its body and the referral the path names."""
    return WithdrawReferral(referral_id, body.withdrawn_on, body.reason)


writes.post(
    "", body=ReferralIn, command=refer_command, action="refer",
    authorize=handlers.authorize_referral, handler=handlers.refer_pupil,
    answer=ReferralResult | ReferralWithChange, status_code=201, name="create_referral",
)  # fmt: skip
writes.post(
    "/{referral_id}/decision", body=DecisionIn, command=decision_command,
    action="decide", authorize=handlers.authorize_decision, handler=handlers.decide_referral,
    answer=ReferralResult,
)  # fmt: skip
writes.post(
    "/{referral_id}/withdrawal", body=WithdrawalIn, command=withdrawal_command,
    action="withdraw", authorize=handlers.authorize_withdrawal,
    handler=handlers.withdraw_referral, answer=ReferralResult,
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
