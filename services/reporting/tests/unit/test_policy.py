"""The one policy: every setting an authority changes, from the data file and the environment."""

from dataclasses import replace

import pytest
from ap_reporting.policy import ClockEnvironment, build_policy, policy

DATA = {
    "suppress_below_pupils": 5, "suppress_zero": True, "review_interval_days": 70,
    "part_time_limit_days": 42, "sustainment_window_days": 84, "full_time_sessions": 10,
    "phases": [{"phase": "primary", "from_year": 0, "to_year": 6}],
}  # fmt: skip


def test_the_data_file_gives_every_setting_and_the_code_table_the_groups():
    rule = policy()
    assert (rule.review_interval_days, rule.part_time_limit_days) == (70, 42)
    assert rule.sustainment_window_days == 84 and rule.full_time_sessions == 10
    assert rule.destination_groups[0] == "education_training"
    assert "excluded" in rule.destination_groups
    assert rule.phase_arrays()[2] == ["primary", "secondary", "post_16"]


def test_the_environment_wins_over_the_data_file_in_weeks():
    rule = build_policy(DATA, ["neet"], ClockEnvironment(review_weeks=4, part_time_limit_weeks=2))
    assert (rule.review_interval_days, rule.part_time_limit_days) == (28, 14)
    assert rule.sustainment_window_days == 84


@pytest.mark.parametrize(
    ("zero", "expected"),
    [(True, [0, 1, 2, 3, 4]), (False, [1, 2, 3, 4])],
    ids=["zero small", "zero shown"],
)
def test_small_is_under_the_threshold_with_the_zero_rule(zero, expected):
    rule = replace(build_policy(DATA, [], ClockEnvironment()), suppress_zero=zero)
    assert [n for n in range(8) if rule.small(n)] == expected
