"""Unique Pupil Number: format, check letter and LA code (docs/glossary.md)."""

import re
from typing import Annotated

from pydantic import AfterValidator

from .codes import codeset

ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # no I, O, S
_SHAPE = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")


class UpnError(ValueError):
    """The UPN is malformed, has the wrong check letter, or an unknown LA code."""


def check_letter(body: str) -> str:
    """The check letter for characters 2-13 of a UPN (`body`, 12 characters)."""
    total = 0
    for position, char in enumerate(body, start=2):
        value = int(char) if char.isdigit() else ALPHABET.index(char)
        total += value * position
    return ALPHABET[total % 23]


def validate_upn(upn: str) -> str:
    """Return the UPN if it is well formed, its check letter right and its LA code known."""
    if not _SHAPE.match(upn):
        raise UpnError("a UPN is 13 characters: a letter, 11 digits, then a digit or a letter")
    last = upn[-1]
    if last.isalpha() and last not in ALPHABET:
        raise UpnError("a temporary UPN ends in a letter of ABCDEFGHJKLMNPQRTUVWXYZ")
    if upn[0] != check_letter(upn[1:]):
        raise UpnError("the check letter does not match the rest of the UPN")
    if upn[1:4] not in codeset("la_codes"):
        raise UpnError("characters 2-4 are not a known LA code")
    return upn


def is_temporary(upn: str) -> bool:
    return upn[-1].isalpha()


Upn = Annotated[str, AfterValidator(validate_upn)]
