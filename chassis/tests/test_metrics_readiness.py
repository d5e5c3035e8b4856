"""The readiness gauges say on /metrics what /readyz says, so a scrape can alert on it."""

from ap_chassis.metrics import Metrics


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_both_checks_passing_and_no_reasons_is_ready():
    metrics = Metrics()
    assert metrics.record_readiness({"database": True, "broker": True}, []) == "ready"
    assert value(metrics, "journey_ready") == 1
    assert value(metrics, "journey_ready_check", check="broker") == 1
    assert value(metrics, "journey_degraded_reasons") == 0


def test_reasons_with_both_checks_passing_is_degraded_and_still_ready():
    metrics = Metrics()
    reasons = ["outbox behind: 3 unsent, oldest 90s", "partition t/0 of consumer c stuck"]
    status = metrics.record_readiness({"database": True, "broker": True}, reasons)
    assert status == "degraded"
    assert value(metrics, "journey_ready") == 1
    assert value(metrics, "journey_degraded_reasons") == 2


def test_a_failing_check_is_not_ready_and_names_the_check():
    metrics = Metrics()
    metrics.record_readiness({"database": True, "broker": True}, [])
    status = metrics.record_readiness({"database": True, "broker": False}, ["lag unknown"])
    assert status == "not ready"
    assert value(metrics, "journey_ready") == 0
    assert value(metrics, "journey_ready_check", check="broker") == 0
    assert value(metrics, "journey_ready_check", check="database") == 1
