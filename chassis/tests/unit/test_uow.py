"""The unit of work's contract, on the in-memory implementation: nothing leaves unless committed."""

from datetime import date
from uuid import uuid4

from ap_chassis.uow import FakeUnitOfWork
from ap_schemas.events import ReferralWithdrawnV1


def _withdrawn() -> ReferralWithdrawnV1:
    return ReferralWithdrawnV1(
        occurred_at=date(2026, 9, 7),
        pupil_id=uuid4(),
        referral_id=uuid4(),
        withdrawn_on=date(2026, 9, 7),
        reason="moved away",
    )


async def test_committed_events_are_kept_in_order_with_the_ids_record_gave() -> None:
    first, second = _withdrawn(), _withdrawn()
    async with FakeUnitOfWork() as uow:
        ids = uow.record(first) + uow.record(second)
        await uow.commit()
    assert [str(e.id) for e in uow.events] == ids
    assert uow.event_data == [first, second]
    assert uow.events[0].source == "test"


async def test_events_of_a_unit_left_uncommitted_are_dropped() -> None:
    async with FakeUnitOfWork() as uow:
        uow.record(_withdrawn())
    assert uow.events == [] and uow.pending == []
