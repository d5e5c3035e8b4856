"""HTTP routes of the outcomes service: one declaration per write whose arguments
follow the request (`ap_chassis.command_route` says what each step does; `handlers.authorize_*`
loads and checks what access decides on)."""

from uuid import UUID

from ap_chassis.command_route import CommandRoutes, as_received
from fastapi import APIRouter

from . import access, commands, handlers
from .uow import OutcomesUnitOfWork

router = APIRouter(prefix="/v1", tags=["outcomes"])
writes = CommandRoutes(router, unit_of_work=OutcomesUnitOfWork, policy=access.POLICY)


def sustainment_command(
    body: commands.SustainmentIn, reintegration_id: UUID
) -> commands.CheckSustainment:
    """A sustainment check: its body and the reintegration the path names."""
    return commands.CheckSustainment(
        reintegration_id=reintegration_id, checked_on=body.checked_on, sustained=body.sustained
    )


writes.post(
    "/reviews", body=commands.RecordReview, command=as_received, action="review",
    authorize=handlers.authorize_review, handler=handlers.record_review,
    answer=commands.ReviewRecorded, status_code=201,
)  # fmt: skip
writes.post(
    "/reintegrations", body=commands.RecordReintegration, command=as_received,
    action="reintegrate", authorize=handlers.authorize_reintegration,
    handler=handlers.record_reintegration, answer=commands.ReintegrationRecorded,
    status_code=201,
)  # fmt: skip
writes.post(
    "/reintegrations/{reintegration_id}/sustainment", body=commands.SustainmentIn,
    command=sustainment_command, action="check_sustainment",
    authorize=handlers.authorize_sustainment, handler=handlers.check_sustainment,
    answer=commands.SustainmentChecked,
)  # fmt: skip
writes.post(
    "/destinations", body=commands.ConfirmDestination, command=as_received,
    action="confirm_destination", authorize=handlers.authorize_destination,
    handler=handlers.confirm_destination, answer=commands.DestinationConfirmed,
    status_code=201,
)  # fmt: skip
