"""Real upper bounds for what a request may carry: dates, money, counts, free text.

Every number and date a client sends has a range the field can actually take, so arithmetic on
it (a sixth school day, an annual cost) can never overflow and nothing absurd is stored.
"""

import unicodedata
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field

MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_AMOUNT_PENCE = 100_000_000  # GBP 1,000,000 for one session, week, term or year
MAX_POSSIBLE_SESSIONS = 2_000  # two sessions a day for five school years
MAX_FREE_TEXT = 500


def _in_range(day: date) -> date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValueError(f"a date between {MIN_YEAR} and {MAX_YEAR} is expected")
    return day


def _printable(text: str) -> str:
    """Free text is published on general topics: printable characters only, no controls."""
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in text):
        raise ValueError("only printable characters are allowed")
    return text


Day = Annotated[date, AfterValidator(_in_range)]
FreeText = Annotated[str, Field(min_length=1, max_length=MAX_FREE_TEXT), AfterValidator(_printable)]
AmountPence = Annotated[int, Field(gt=0, le=MAX_AMOUNT_PENCE)]
Sessions = Annotated[int, Field(ge=0, le=MAX_POSSIBLE_SESSIONS)]
