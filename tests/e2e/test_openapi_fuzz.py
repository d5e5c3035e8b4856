"""A bounded schemathesis run against every service's OpenAPI: no input gives a server error.

Cases are generated from each app's own schema (valid and invalid ones) and sent in-process to
the running services; a few examples per operation keep it to seconds.
"""

import contextlib
import json
from typing import Any
from urllib.parse import urlencode

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.support.platform import token

EXAMPLES = 6  # per operation and generation mode


def cases_of(app: Any) -> list[Any]:
    schema = schemathesis.openapi.from_dict(app.openapi())
    found: list[Any] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES, database=None, deadline=None,
                suppress_health_check=list(HealthCheck),
            )  # fmt: skip
            @given(operation.as_strategy(generation_mode=mode))
            def collect(case: Any) -> None:
                found.append(case)

            with contextlib.suppress(Unsatisfiable):  # nothing invalid to send (no parameters)
                collect()
    return found


def query_string(params: dict[str, Any]) -> str:
    flat = {k: v if isinstance(v, str | int | float) else json.dumps(v) for k, v in params.items()}
    return urlencode(flat, doseq=False)


async def test_no_generated_request_gets_a_server_error(services):
    failures, sent = [], 0
    for name, app in services.apps.items():
        client = services.clients[name]
        for case in cases_of(app):
            kwargs = case.as_transport_kwargs(base_url="http://test")
            headers = {**(kwargs.get("headers") or {}), **token()}
            url = kwargs["url"]
            if kwargs.get("params"):
                url += "?" + query_string(kwargs["params"])
            body: dict[str, Any] = {}
            if "json" in kwargs:
                body["content"] = json.dumps(kwargs["json"]).encode()
                headers.setdefault("Content-Type", "application/json")
            elif kwargs.get("data") is not None:
                data = kwargs["data"]
                body["content"] = data if isinstance(data, bytes) else str(data).encode()
            answer = await client.request(kwargs["method"], url, headers=headers, **body)
            sent += 1
            if answer.status_code >= 500:
                failures.append((name, kwargs["method"], url, body, answer.text[:200]))
    print(f"\nschemathesis: {sent} generated requests")
    assert sent > 100
    assert not failures, failures[:5]
