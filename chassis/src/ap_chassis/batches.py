"""`POST /v1/batches`: up to 1,000 commands as NDJSON, each run through the service's own routes.

Each line is `{"command": "<path>", "idempotency_key": "...", "body": {...}}`; the answer is NDJSON,
one `{"status": ..., "body": ...}` per line, in order. Every command is a real `POST <path>` to this
same app, in-process, with the caller's `Authorization` header and the line's `Idempotency-Key`:
authentication, access rules, validation, domain rules, idempotency and events are exactly the
single-command API's (no second path to the data). Lines run one after another, so a later line
may depend on an earlier one (a decision after its referral). A bad line is answered on its own
line and never stops the others.
"""

import json
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response

from .auth import Principal, require
from .problems import problem_response

MAX_LINES = 1_000
MAX_BYTES = 10 * 1024 * 1024
NDJSON = "application/x-ndjson"
LOCAL_BASE = "http://in-process"
# Paths a batch line may not name: itself, and long-running work that has its own endpoint.
REFUSED_PREFIXES = ("/v1/batches", "/v1/imports")

router = APIRouter(prefix="/v1", tags=["batches"])


def local_client(app: FastAPI) -> httpx.AsyncClient:
    """A client that sends requests to `app` in this process (no network, same routes)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=LOCAL_BASE, timeout=60.0
    )


def parse_line(text: str) -> tuple[str, str | None, Any]:
    """The line's (path, idempotency key, body); ValueError saying what is wrong."""
    try:
        line = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg}") from None
    if not isinstance(line, dict):
        raise ValueError("a line is a JSON object {command, idempotency_key, body}")
    unknown = set(line) - {"command", "idempotency_key", "body"}
    if unknown:
        raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
    path, key, body = line.get("command"), line.get("idempotency_key"), line.get("body", {})
    if not isinstance(path, str) or not path.startswith("/v1/") or "?" in path or ".." in path:
        raise ValueError("command must be a path of this service's API, e.g. /v1/referrals")
    if path.startswith(REFUSED_PREFIXES):
        raise ValueError(f"{path} cannot run inside a batch")
    if key is not None and (not isinstance(key, str) or not 0 < len(key) <= 200):
        raise ValueError("idempotency_key must be a string of 1 to 200 characters")
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return path, key, body


def _problem_line(status: int, detail: str, field: str) -> dict[str, Any]:
    problem = problem_response(
        status, "Validation failed", detail, errors=[{"field": field, "message": detail}]
    )
    body = json.loads(bytes(problem.body))
    return {"status": status, "body": body}


@router.post(
    "/batches",
    response_class=Response,
    responses={200: {"content": {NDJSON: {}}, "description": "one {status, body} per line"}},
)
async def run_batch(
    request: Request,
    _: Annotated[
        Principal, Depends(require("la_officer", "school", "provider", "analyst", "auditor"))
    ],
) -> Response:
    """Run up to 1,000 NDJSON command lines through this service's own routes, in order."""
    raw = await _read_limited(request)
    if raw is None:
        return problem_response(
            413, "Payload too large", f"a batch is at most {MAX_BYTES} bytes", errors=None
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return problem_response(
            422, "Validation failed", "a batch is UTF-8 NDJSON",
            errors=[{"field": "body", "message": "not UTF-8"}],
        )  # fmt: skip
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or len(lines) > MAX_LINES:
        detail = f"a batch has 1 to {MAX_LINES} lines; this one has {len(lines)}"
        return problem_response(
            422, "Validation failed", detail, errors=[{"field": "body", "message": detail}]
        )
    authorization = request.headers.get("authorization", "")
    answers: list[dict[str, Any]] = []
    async with local_client(request.app) as client:
        for number, line in enumerate(lines, start=1):
            try:
                path, key, body = parse_line(line)
            except ValueError as exc:
                answers.append(_problem_line(422, f"line {number}: {exc}", "command"))
                continue
            headers = {"Authorization": authorization}
            if key is not None:
                headers["Idempotency-Key"] = key
            answer = await client.post(path, json=body, headers=headers)
            try:
                payload: Any = answer.json()
            except ValueError:
                payload = answer.text
            answers.append({"status": answer.status_code, "body": payload})
    content = "".join(json.dumps(a, separators=(",", ":")) + "\n" for a in answers)
    return Response(content, media_type=NDJSON)


async def _read_limited(request: Request) -> bytes | None:
    """The request body, or None when it passes MAX_BYTES."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
