"""CI guard of the HTTP contract: no service breaks a client of its released OpenAPI document,
and every service's released copy is the document it serves (`make openapi` releases it)."""

import json
from pathlib import Path

import pytest
from ap_chassis import http_compat

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", http_compat.SERVICES)
def test_no_service_breaks_its_released_http_contract(service):
    path = http_compat.released_path(ROOT, service)
    assert path.exists(), f"run `make openapi` to release {service}'s HTTP contract"
    broken = http_compat.check(service, json.loads(path.read_text()), http_compat.served(service))
    assert not broken, "\n".join(map(str, broken))


@pytest.mark.parametrize("service", http_compat.SERVICES)
def test_what_was_added_is_released(service):
    """An additive change is released with it, so it is guarded from then on."""
    path = http_compat.released_path(ROOT, service)
    served = http_compat.render(http_compat.served(service))
    assert path.read_text() == served, f"run `make openapi`: {service}'s release is behind"
