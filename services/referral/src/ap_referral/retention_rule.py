"""The retention rule for identifying details. Pure: no I/O.

General pupil records are kept to the 25th birthday; SEN files to date of birth + 31 years
(docs/operations.md#retention-and-erasure). Both periods and the SEN codes are the LA's
configuration (`RetentionSettings`). A pupil is "SEN" when any referral or the register recorded
a provision in the configured codes. A 29 February birthday falls on 1 March in a year without
one.
"""

from collections.abc import Iterable
from datetime import date


def anniversary(born: date, years: int) -> date:
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February in a common year
        return date(born.year + years, 3, 1)


def erase_on(
    born: date, provisions: Iterable[str | None], *, general_years: int, sen_years: int,
    sen_codes: frozenset[str],
) -> date:  # fmt: skip
    """The first day the pupil's identifying details are no longer kept."""
    sen = any(p in sen_codes for p in provisions if p)
    return anniversary(born, max(sen_years, general_years) if sen else general_years)


def is_due(born: date, provisions: Iterable[str | None], today: date, **rule: object) -> bool:
    return today >= erase_on(born, provisions, **rule)  # type: ignore[arg-type]
