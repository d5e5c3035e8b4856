"""Request guards in front of every route: body size limit and NUL characters (ASGI middleware).

- A body over `max_body_bytes` (default 1 MB; `MAX_BODY_BYTES`) is refused with 413 before any
  of it is parsed; a `Content-Length` over the limit is refused without reading. A service may
  give a path prefix its own limit (`body_limits`: file uploads, batches), checked the same way.
- A NUL character (U+0000) in a JSON or form body, or in the query string, is refused with 422:
  PostgreSQL cannot store it in text and no field of the contract needs it. Binary uploads
  (spreadsheets, multipart) are left to their route.
"""

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .problems import problem_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_ESCAPED_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
_TEXT_TYPES = (b"application/json", b"+json", b"application/x-www-form-urlencoded", b"text/")


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = 1_048_576,
        body_limits: dict[str, int] | None = None,
    ) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes
        self.body_limits = dict(body_limits or {})

    def limit_for(self, path: str) -> int:
        """The body limit of a path: the longest matching prefix's, else the default."""
        matches = [p for p in self.body_limits if path.startswith(p)]
        return self.body_limits[max(matches, key=len)] if matches else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if b"%00" in query or b"\x00" in query:
            await _nul(scope, receive, send, "query")
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        headers = dict(scope.get("headers", ()))
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await self._too_large(scope, receive, send, limit)
                return
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"application/json").lower()
        if any(t in content_type for t in _TEXT_TYPES) and (
            b"\x00" in body or _ESCAPED_NUL.search(body)
        ):
            await _nul(scope, receive, send, "body")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413, "Content too large", f"a request body may hold at most {limit} bytes"
        )
        await response(scope, receive, send)


async def _nul(scope: Scope, receive: Receive, send: Send, where: str) -> None:
    message = "text may not contain NUL (U+0000) characters"
    response = problem_response(
        422, "Validation failed", f"invalid fields: {where}",
        errors=[{"field": where, "message": message}],
    )  # fmt: skip
    await response(scope, receive, send)
