"""The JSON Schema of every event type, served where each event's `dataschema` URL points.

`GET /events/<type>.json` (the path of `envelope.SCHEMA_BASE`) answers the checked-in schema as
`application/schema+json`, no token needed: the contract is public, the data is not.
"""

from importlib import resources
from urllib.parse import urlsplit

from ap_chassis.errors import NotFoundError
from ap_schemas.envelope import SCHEMA_BASE
from ap_schemas.events import SPECS
from fastapi import APIRouter
from fastapi.responses import Response

PATH = urlsplit(SCHEMA_BASE).path  # "/events/"
MEDIA_TYPE = "application/schema+json"

router = APIRouter(tags=["schemas"])


@router.get(PATH + "{name}", response_class=Response)
async def event_schema(name: str) -> Response:
    """The JSON Schema (Draft 2020-12) an event names in its `dataschema`."""
    if name not in {spec.schema_name for spec in SPECS}:
        raise NotFoundError(f"no event schema {name!r}", field="name")
    text = resources.files("ap_schemas").joinpath("jsonschema", name).read_text()
    return Response(content=text, media_type=MEDIA_TYPE)
