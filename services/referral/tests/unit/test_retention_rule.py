"""The retention rule: general records to the 25th birthday, SEN files to DOB + 31.

The rule: docs/operations.md#retention-and-erasure.
"""

from datetime import date

from ap_referral.retention_rule import anniversary, erase_on, is_due

RULE = {"general_years": 25, "sen_years": 31, "sen_codes": frozenset({"E", "K"})}


def test_general_records_end_on_the_25th_birthday():
    assert erase_on(date(2012, 3, 4), ["N"], **RULE) == date(2037, 3, 4)
    assert not is_due(date(2012, 3, 4), ["N"], date(2037, 3, 3), **RULE)
    assert is_due(date(2012, 3, 4), ["N"], date(2037, 3, 4), **RULE)


def test_sen_files_end_31_years_after_birth_whichever_referral_recorded_it():
    assert erase_on(date(2012, 3, 4), ["N", "K"], **RULE) == date(2043, 3, 4)
    assert erase_on(date(2012, 3, 4), [None, "E"], **RULE) == date(2043, 3, 4)
    assert not is_due(date(2012, 3, 4), ["E"], date(2040, 1, 1), **RULE)


def test_the_la_configures_the_periods_and_codes():
    rule = {"general_years": 20, "sen_years": 30, "sen_codes": frozenset({"E"})}
    assert erase_on(date(2012, 3, 4), ["K"], **rule) == date(2032, 3, 4)
    assert erase_on(date(2012, 3, 4), ["E"], **rule) == date(2042, 3, 4)


def test_a_leap_day_birthday_falls_on_the_first_of_march():
    assert anniversary(date(2012, 2, 29), 25) == date(2037, 3, 1)
    assert anniversary(date(2012, 2, 29), 28) == date(2040, 2, 29)
