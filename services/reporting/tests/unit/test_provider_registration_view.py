"""The provider projection's registration: the latest change of registration wins over the first
record, whatever order the events arrive in. Pure."""

import itertools
import uuid
from datetime import date

from ap_reporting.projection import JourneyEvent
from ap_reporting.provider_view import project_provider


def ev(n: int, type_: str, day: str, **data) -> JourneyEvent:
    return JourneyEvent(
        uuid.UUID(int=n), "journey.provider." + type_, date.fromisoformat(day), data
    )


FIRST = ev(1, "registered.v1", "2026-11-20", name="P", registered=False, urn=None)
ON = ev(2, "registration_changed.v1", "2026-10-01", registered=True, ofsted_urn="148123")
OFF = ev(3, "registration_changed.v1", "2027-01-05", registered=False)


def test_the_latest_change_of_registration_is_the_registration_in_any_order():
    for events in itertools.permutations([FIRST, ON, OFF]):
        view = project_provider("p", events)
        assert (view.name, view.registered, view.urn) == ("P", False, "148123")
    for events in itertools.permutations([FIRST, ON]):
        assert (project_provider("p", events).registered, project_provider("p", events).urn) == (
            True,
            "148123",
        )


def test_without_a_change_the_first_record_holds():
    view = project_provider("p", [FIRST])
    assert (view.registered, view.urn) == (False, None)
    assert not project_provider("p", [ON]).known  # a change alone is held until it comes
