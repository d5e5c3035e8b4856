"""A dashboard session for tests that read pages as CSV: sign in by token paste, as the test
environment allows (production signs people in through OpenID Connect only)."""

import re

import httpx


async def signed_in(client: httpx.AsyncClient, bearer: str) -> dict[str, str]:
    """The cookies of a dashboard session for the holder of `bearer` ("Bearer <token>")."""
    form = await client.get("/ui/sign-in")
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', form.text)
    assert found is not None, form.text
    token = bearer.removeprefix("Bearer ")
    signed = await client.post(
        "/ui/sign-in", data={"token": token, "csrf": found.group(1)}, cookies=dict(form.cookies)
    )
    assert signed.status_code in (302, 303), signed.text
    return {**dict(form.cookies), **dict(signed.cookies)}
