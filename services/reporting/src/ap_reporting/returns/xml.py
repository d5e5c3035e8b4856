"""The AP census as DfE-style XML, built with lxml (never by string concatenation), and its
check against ap_census.xsd. Pure. Element names come from tagmap.json."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

from .census import tagmap

MAX_ADDRESS_LINES = 5


@dataclass(frozen=True)
class Header:
    census_date: date
    la_number: str
    serial_no: int
    created_at: datetime
    rehearsal: bool


def _tag(item: str, **fmt: Any) -> str:
    return str(tagmap()["tags"][item]["tag"]).format(**fmt)


def _sub(parent: etree._Element, item: str, text: Any = None, **fmt: Any) -> etree._Element:
    element = etree.SubElement(parent, _tag(item, **fmt))
    if text is not None:
        element.text = str(text)
    return element


def _optional(parent: etree._Element, item: str, text: Any) -> None:
    if text not in (None, "", []):
        _sub(parent, item, text)


def _header(root: etree._Element, header: Header) -> None:
    values = {k: v["value"] for k, v in tagmap()["header"].items()}
    head = _sub(root, "header")
    details = _sub(head, "collection_details")
    _sub(details, "collection", values["collection"])
    _sub(details, "term", values["term"])
    _sub(details, "year", header.census_date.year)
    _sub(details, "reference_date", header.census_date.isoformat())
    if header.rehearsal:
        _sub(details, "rehearsal", values["rehearsal"])
    source = _sub(head, "source")
    _sub(source, "source_level", values["source_level"])
    _sub(source, "lea", header.la_number)
    _sub(source, "software_code", values["software_code"])
    _sub(source, "release", values["release"])
    _sub(source, "serial_no", header.serial_no)
    _sub(source, "date_time", header.created_at.replace(microsecond=0, tzinfo=None).isoformat())


# (item, mandatory) in the order of ap_census.xsd; an optional item is left out when empty.
IDENTIFIERS = (
    ("upn", True), ("uln", False), ("surname", True), ("forename", True),
    ("middle_names", False), ("preferred_surname", False), ("date_of_birth", True), ("sex", True),
)  # fmt: skip
CHARACTERISTICS = (("ethnicity", False), ("fsm_eligible", False), ("service_child", False))
PLACEMENT = (
    ("provider_urn", False), ("provider_ukprn", False), ("setting_type", False),
    ("primary_reason", True), ("entry_date", True), ("leaving_date", False),
    ("attendance_pattern", True), ("sessions_per_week", False), ("previous_school_urn", False),
)  # fmt: skip


def _items(parent: etree._Element, r: dict[str, Any], items: tuple[tuple[str, bool], ...]) -> None:
    for item, mandatory in items:
        (_sub if mandatory else _optional)(parent, item, r.get(item))


def _pupil(parent: etree._Element, r: dict[str, Any]) -> None:
    pupil = _sub(parent, "pupil")
    _items(_sub(pupil, "identifiers"), r, IDENTIFIERS)
    traits = _sub(pupil, "characteristics")
    _items(traits, r, CHARACTERISTICS)
    if r["fsm_periods"]:
        periods = _sub(traits, "fsm_list")
        for p in r["fsm_periods"]:
            period = _sub(periods, "fsm_period")
            _sub(period, "fsm_start_date", p["start_date"])
            _optional(period, "fsm_end_date", p["end_date"])
    _sub(_sub(pupil, "sen"), "sen_provision", r["sen_provision"])
    lines = r["address_lines"][:MAX_ADDRESS_LINES]
    if lines or r["postcode"] or r["uprn"]:
        home = _sub(pupil, "home_information")
        if lines or r["postcode"]:
            address = _sub(home, "address")
            for n, line in enumerate(lines, start=1):
                _sub(address, "address_line", line, n=n)
            _optional(address, "postcode", r["postcode"])
        _optional(home, "uprn", r["uprn"])
    _items(_sub(pupil, "placement"), r, PLACEMENT)


def build(records: Iterable[dict[str, Any]], header: Header) -> bytes:
    """The return: Message / Header (CollectionDetails, Source) / Pupils / Pupil..."""
    root = etree.Element(_tag("message"))
    _header(root, header)
    pupils = _sub(root, "pupils")
    for r in records:
        _pupil(pupils, r)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


@cache
def schema() -> etree.XMLSchema:
    """ap_census.xsd, the schema our output is built to (checked in beside this module)."""
    with resources.files(__package__).joinpath("ap_census.xsd").open("rb") as f:
        return etree.XMLSchema(etree.parse(f))


def schema_errors(document: bytes) -> list[str]:
    """Where `document` departs from ap_census.xsd (line and element; values may be personal)."""
    xsd = schema()
    if xsd.validate(etree.fromstring(document)):
        return []
    return [f"line {e.line}: {e.path}" for e in xsd.error_log]
