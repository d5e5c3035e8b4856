"""UPN check letter, temporary UPNs and LA codes (docs/glossary.md#pupils-and-identifiers). Pure."""

import pytest
from ap_schemas.upn import UpnError, check_letter, is_temporary, validate_upn


@pytest.mark.parametrize("upn", ["B801200005001", "P207000016049"])
def test_verified_permanent_upns_are_valid(upn):
    assert validate_upn(upn) == upn
    assert not is_temporary(upn)


def test_verified_temporary_upn_is_valid():
    assert validate_upn("X00180001701A") == "X00180001701A"
    assert is_temporary("X00180001701A")


@pytest.mark.parametrize("upn", ["B207000016049", "Q207000016049", "A801200005001"])
def test_wrong_check_letter_is_rejected(upn):
    with pytest.raises(UpnError, match="check letter"):
        validate_upn(upn)


def test_check_letter_weights_positions_two_to_thirteen():
    # 8*2 + 1*4 + 2*5 + 5*10 + 1*13 = 93; 93 mod 23 = 1 -> "B"
    assert check_letter("801200005001") == "B"


def test_temporary_letter_is_valued_by_its_index():
    body = "00180001701A"
    assert check_letter(body) == "X"
    assert check_letter(body[:-1] + "B") != "X"  # B=1 moves the sum by 13


def test_unknown_la_code_is_rejected():
    body = "999200005001"  # 999 is no English LA
    with pytest.raises(UpnError, match="LA code"):
        validate_upn(check_letter(body) + body)


@pytest.mark.parametrize(
    "upn", ["", "B80120000500", "B8012000050011", "b801200005001", "B80120000500I", "1801200005001"]
)
def test_malformed_upns_are_rejected(upn):
    with pytest.raises(UpnError):
        validate_upn(upn)
