"""The HTTP contract page names every operation each service serves, and nothing it does not.

Each app is built as its composition root builds it (`create_app()`, nothing connected: the
pool and broker open only in the lifespan) and its OpenAPI document read, so a route added to a
service without a line in `docs/http-api.md` fails here.
"""

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "http-api.md"
SERVICES = ("referral", "placement", "outcomes", "reporting")
METHODS = ("get", "post", "put", "patch", "delete")
NAMED = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) (/[\w/{}.-]*)")


def operations(service: str) -> set[str]:
    """`METHOD /path` of every operation in the service's OpenAPI document."""
    app: Any = importlib.import_module(f"ap_{service}.app").create_app()
    paths = app.openapi()["paths"]
    return {f"{m.upper()} {path}" for path, ops in paths.items() for m in ops if m in METHODS}


@pytest.fixture(scope="module")
def served() -> dict[str, set[str]]:
    return {service: operations(service) for service in SERVICES}


def named_on_the_page() -> set[str]:
    """Every `METHOD /path` the page names (query strings left off)."""
    return {f"{m.group(1)} {m.group(2)}" for m in NAMED.finditer(PAGE.read_text())}


def test_every_operation_of_every_service_is_on_the_page(served):
    named = named_on_the_page()
    missing = sorted(f"{s}: {op}" for s, ops in served.items() for op in ops if op not in named)
    assert missing == [], "operations served but not in docs/http-api.md:\n" + "\n".join(missing)


def test_every_operation_on_the_page_is_served(served):
    everywhere = set().union(*served.values())
    # The web pages are served outside the OpenAPI document (HTML, not the API).
    stale = sorted(op for op in named_on_the_page() if op not in everywhere and " /ui/" not in op)
    assert stale == [], "operations in docs/http-api.md that no service serves:\n" + "\n".join(
        stale
    )
