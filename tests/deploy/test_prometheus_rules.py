"""deploy/prometheus passes Debian's promtool: the rules check, and their unit tests make each
alert fire and resolve on synthetic series. The unit tests can fail: with any one alert's
expression replaced by one that never fires, they do. Every alert has a summary, a runbook line
and its section in docs/operations.md; every series the rules read is exported or recorded."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.promql import (
    PROMETHEUS,
    ROOT,
    RULE_FILES,
    exported,
    recorded,
    rule_series,
    rules,
    series_in,
)

PROMTOOL = Path("/usr/bin/promtool")
UNIT_TESTS = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
ALERTS = [rule["alert"] for rule in rules("alert")]


def promtool(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    if not PROMTOOL.exists():
        pytest.fail(
            "Debian's promtool is missing: make test installs it (deploy/local/system-packages.sh)"
        )
    return subprocess.run(  # noqa: S603
        [str(PROMTOOL), *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )


def test_the_rules_pass_promtool_check():
    result = promtool("check", "rules", *map(str, RULE_FILES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_rule_unit_tests_pass():
    assert len(UNIT_TESTS) >= 2
    result = promtool("test", "rules", *map(str, UNIT_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_alert_is_fired_and_resolved_by_a_unit_test():
    """Per alert: a check where it fires, and a later one where it does not."""
    checks: dict[str, list[tuple[str, bool]]] = {}
    for path in UNIT_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                checks.setdefault(check["alertname"], []).append(
                    (check["eval_time"], bool(check["exp_alerts"]))
                )
    for alert in ALERTS:
        seen = sorted(checks.get(alert, []), key=lambda c: _minutes(c[0]))
        fired = [i for i, (_, firing) in enumerate(seen) if firing]
        assert fired, f"{alert}: no unit test fires it"
        assert any(not firing for _, firing in seen[fired[0] + 1 :]), f"{alert}: never resolves"


@pytest.mark.parametrize("alert", ALERTS)
def test_the_unit_tests_fail_when_an_alert_never_fires(alert, tmp_path):
    broken = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    for group in broken["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == alert:
                rule["expr"] = "vector(1) == 0"
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(broken))
    shutil.copy(PROMETHEUS / "recording.yml", tmp_path / "recording.yml")
    (tmp_path / "tests").mkdir()
    shutil.copy(PROMETHEUS / "tests" / "alerts.test.yml", tmp_path / "tests" / "alerts.test.yml")
    result = promtool("test", "rules", "tests/alerts.test.yml", cwd=tmp_path)
    assert result.returncode != 0
    assert f"alertname: {alert}," in result.stdout + result.stderr


def test_every_alert_has_a_summary_a_runbook_a_severity_and_a_section_in_the_docs():
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert len(ALERTS) == len(set(ALERTS))
    for rule in rules("alert"):
        annotations = rule["annotations"]
        assert annotations["summary"].strip() and "First:" in annotations["runbook"], rule["alert"]
        assert rule["labels"]["severity"] in {"page", "warning"}, rule["alert"]
        assert f"`{rule['alert']}`" in operations, f"{rule['alert']} not in docs/operations.md"


def test_the_rules_read_only_series_that_are_exported_or_recorded():
    missing = rule_series() - exported() - recorded() - {"up"}
    assert not missing, f"no service exports and no rule records: {sorted(missing)}"
    assert {"journey_dead_letters_total", "journey_ready_check"} <= rule_series()


def test_the_series_check_would_see_a_misspelt_name():
    used = series_in('sum by (job) (rate(journey_dead_leters_total{topic="x"}[15m])) > 0')
    assert used == {"journey_dead_leters_total"}
    assert used - exported() - recorded()


def test_the_scrape_example_names_the_jobs_the_rules_expect():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {scrape["job_name"] for scrape in config["scrape_configs"]}
    assert jobs == {"referral", "placement", "outcomes", "reporting"}
    assert sorted(config["rule_files"]) == ["alerts.yml", "recording.yml"]
    result = promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def _minutes(duration: str) -> float:
    units = {"s": 1 / 60, "m": 1, "h": 60}
    return float(duration[:-1]) * units[duration[-1]]
