"""The AP census as a CSV working file: the same records as the XML, for officers to check by eye.
Pure."""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from .xml import MAX_ADDRESS_LINES

COLUMNS = (
    "upn", "uln", "surname", "forename", "middle_names", "preferred_surname", "date_of_birth",
    "sex", "ethnicity", "fsm_eligible", "fsm_periods", "service_child", "sen_provision",
    *(f"address_line_{n}" for n in range(1, MAX_ADDRESS_LINES + 1)), "postcode", "uprn",
    "provider_urn", "provider_ukprn", "setting_type", "primary_reason", "entry_date",
    "leaving_date", "attendance_pattern", "sessions_per_week", "previous_school_urn",
)  # fmt: skip


def row(record: dict[str, Any]) -> dict[str, str]:
    out = {c: "" if record.get(c) is None else str(record[c]) for c in COLUMNS if c in record}
    for n, line in enumerate(record["address_lines"][:MAX_ADDRESS_LINES], start=1):
        out[f"address_line_{n}"] = line
    out["fsm_periods"] = "; ".join(
        f"{p['start_date']}..{p['end_date'] or ''}" for p in record["fsm_periods"]
    )
    return {c: out.get(c, "") for c in COLUMNS}


def to_csv(records: Iterable[dict[str, Any]]) -> str:
    """The AP census records as the working file."""
    return rows_to_csv((row(r) for r in records), COLUMNS)


def rows_to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """Rows as CSV with a header line; None is an empty cell."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({c: "" if r.get(c) is None else r[c] for c in columns} for r in rows)
    return buffer.getvalue()
