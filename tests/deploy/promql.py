"""The series names the alert rules and the Grafana dashboard read, and those that exist.

A PromQL expression's series names are its identifiers once strings, label matchers, range and
offset durations, grouping clauses, keywords and function calls are taken out. What exists is
what a service exports (its registries: ap_chassis.metrics and reporting's rebuild gauges), what
a recording rule records, and Prometheus's own `up`.
"""

import json
import re
from pathlib import Path
from typing import Any

import yaml
from ap_chassis.metrics import Metrics
from ap_reporting.rebuild import RebuildGauges

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULE_FILES = (PROMETHEUS / "alerts.yml", PROMETHEUS / "recording.yml")
DASHBOARD = ROOT / "deploy" / "grafana" / "journey.json"
KEYWORDS = {"and", "or", "unless", "bool", "offset", "inf", "nan"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
}


def series_in(expr: str) -> set[str]:
    s = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    s = re.sub(r"\{[^}]*\}", "", s)
    s = re.sub(r"\[[^\]]*\]", "", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", s)
    s = re.sub(r"\boffset\s+\w+", "", s)
    s = re.sub(r"\blabel_values\((.*),\s*\w+\s*\)", r"\1", s)  # Grafana's variable query
    names = re.findall(r"(?<![\w.$])([A-Za-z_:][\w:]*)(\s*\()?", s)
    return {name for name, call in names if not call and name.lower() not in KEYWORDS}


def rules(kind: str) -> list[dict[str, Any]]:
    """Every rule of deploy/prometheus with a `record` or an `alert` key."""
    found = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            found += [rule for rule in group["rules"] if kind in rule]
    return found


def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text()))


def dashboard_exprs() -> list[str]:
    board = dashboard()
    exprs = [t["expr"] for panel in board["panels"] for t in panel.get("targets", [])]
    variables = board["templating"]["list"]
    return exprs + [v["query"]["query"] for v in variables if v["type"] == "query"]


def rule_series() -> set[str]:
    return set().union(*(series_in(rule["expr"]) for rule in rules("record") + rules("alert")))


def dashboard_series() -> set[str]:
    return set().union(*(series_in(expr) for expr in dashboard_exprs()))


def exported() -> set[str]:
    """The sample names the services' registries export, children or not."""
    registry = Metrics().registry
    RebuildGauges(registry)
    names = set()
    for family in registry.collect():
        suffixes = SUFFIXES.get(family.type, ("",))
        names |= {family.name + suffix for suffix in suffixes}
    return names


def recorded() -> set[str]:
    return {rule["record"] for rule in rules("record")}
