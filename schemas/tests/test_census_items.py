"""The AP census items added to journey.identity: optional, validated, backward
compatible with events recorded before them."""

import json
from pathlib import Path

import pytest
from ap_schemas.events import ProviderRegisteredV1, PupilIdentityRecordedV1, PupilPlacedV1
from pydantic import ValidationError

EXAMPLES = Path(__file__).parents[1] / "src" / "ap_schemas" / "examples"


def example(type_: str) -> dict:
    return json.loads((EXAMPLES / f"{type_}.json").read_text())["data"]


IDENTITY = example("journey.pupil.identity.recorded.v1")


def test_an_identity_recorded_before_the_census_items_still_parses_without_them():
    parsed = PupilIdentityRecordedV1.model_validate(IDENTITY)
    assert (parsed.uln, parsed.address_lines, parsed.uprn, parsed.service_child,
            parsed.fsm_periods) == (None, None, None, None, None)  # fmt: skip
    assert ProviderRegisteredV1.model_validate(
        example("journey.provider.registered.v1")).state_ap is None  # fmt: skip
    assert PupilPlacedV1.model_validate(example("journey.pupil.placed.v1")).funded_by is None


def test_the_census_items_round_trip():
    items = {"uln": "1234567890", "address_lines": ["1 Example Street", "Bristol"],
             "uprn": "100012345678", "service_child": False,
             "fsm_periods": [{"start_date": "2025-09-01", "end_date": None}]}  # fmt: skip
    parsed = PupilIdentityRecordedV1.model_validate({**IDENTITY, **items})
    assert {k: v for k, v in parsed.model_dump(mode="json").items() if k in items} == items


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ({"uln": "123456789"}, "uln"),
        ({"uprn": "1234567890123"}, "uprn"),
        ({"address_lines": ["a"] * 6}, "address_lines"),
        ({"address_lines": [""]}, "address_lines"),
        ({"fsm_periods": [{"start_date": "2025-09-01", "end_date": "2025-08-31"}]}, "fsm_periods"),
    ],
)
def test_a_bad_census_item_is_refused_naming_it(items, field):
    with pytest.raises(ValidationError) as err:
        PupilIdentityRecordedV1.model_validate({**IDENTITY, **items})
    assert err.value.errors()[0]["loc"][0] == field
