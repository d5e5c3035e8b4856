"""deploy/grafana/journey.json: a dashboard Grafana can import, over series that exist.

Every panel query and the service variable read only series a service exports or a recording
rule of deploy/prometheus records (or Prometheus's `up`); each panel reads the dashboard's
Prometheus data source variable, so the file imports into any Grafana unchanged."""

from tests.deploy.promql import (
    dashboard,
    dashboard_exprs,
    dashboard_series,
    exported,
    recorded,
    rules,
    series_in,
)


def test_the_dashboard_reads_only_series_that_are_exported_or_recorded():
    missing = dashboard_series() - exported() - recorded() - {"up"}
    assert not missing, f"no service exports and no rule records: {sorted(missing)}"


def test_the_dashboard_shows_what_the_alerts_watch():
    used = dashboard_series()
    for name in (
        "journey_outbox_oldest_unsent_seconds",
        "journey_consumer_stuck_partitions",
        "job_consumer:journey_consumer_lag:sum",
        "job_consumer:journey_dead_letters:increase1h",
        "job:journey_http_5xx:ratio_rate5m",
        "journey_ready",
        "journey_degraded_reasons",
        "journey_rebuild_failed",
        "journey_rebuild_events_applied",
        "journey_outbox_relay_lock_held",
    ):
        assert name in used, name
    alerting = set().union(*(series_in(rule["expr"]) for rule in rules("alert")))
    unread = recorded() - used - alerting
    assert not unread, f"recorded for no panel and no alert: {sorted(unread)}"


def test_the_dashboard_is_importable():
    board = dashboard()
    assert board["uid"] and board["title"] and board["schemaVersion"] >= 36
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    panels = board["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        assert {"h", "w", "x", "y"} <= panel["gridPos"].keys(), panel["title"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        for target in panel.get("targets", []):
            assert target["datasource"]["uid"] == "${datasource}", panel["title"]
            assert target["refId"] and target["expr"], panel["title"]
    assert len(dashboard_exprs()) >= 20
