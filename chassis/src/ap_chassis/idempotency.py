"""Idempotent commands: the same `Idempotency-Key` and body return the first answer.

The rule is in docs/http-api.md#rules-every-endpoint-follows.
"""

import hashlib
import json
from typing import Any

import asyncpg

from .errors import InvalidCommandError


def request_hash(method: str, path: str, body: Any) -> str:
    """A digest of method, path and body, the same for the same request in any key order."""
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def replay(
    conn: asyncpg.Connection, *, principal: str, key: str | None, fingerprint: str
) -> tuple[int, dict[str, Any]] | None:
    """Claim `key` for this request inside the open transaction, or return its stored answer.

    A concurrent retry with the same key waits on the key's row and then gets the stored answer;
    the same key with another body is a 422 naming the header.
    """
    if key is None:
        return None
    inserted = await conn.fetchval(
        "INSERT INTO idempotency_keys (principal, key, request_hash) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        principal,
        key,
        fingerprint,
    )
    if inserted:
        return None
    row = await conn.fetchrow(
        "SELECT request_hash, status_code, response FROM idempotency_keys"
        " WHERE principal = $1 AND key = $2",
        principal,
        key,
    )
    if row["request_hash"] != fingerprint:
        raise InvalidCommandError(
            "this Idempotency-Key was used with a different request", field="Idempotency-Key"
        )
    return row["status_code"], row["response"]


async def remember(
    conn: asyncpg.Connection,
    *,
    principal: str,
    key: str | None,
    status: int,
    answer: dict[str, Any],
) -> None:
    """Store the answer under the key claimed by `replay`, in the same transaction."""
    if key is not None:
        await conn.execute(
            "UPDATE idempotency_keys SET status_code = $3, response = $4"
            " WHERE principal = $1 AND key = $2",
            principal,
            key,
            status,
            answer,
        )
