"""A write as its route runs it, for handler tests on in-memory fakes: the access step, then the
use case on what that step loaded (`ap_chassis.command_route`), with no HTTP and no I/O."""

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ap_chassis.auth import Principal

Steps = tuple[Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]]
Write = Callable[[Any, Any, Principal], Awaitable[Any]]


def as_routed(steps: Mapping[type, Steps]) -> Write:
    """`write(uow, command, principal)`, running the (authorize, handler) pair of the command's
    type as its route would."""

    async def write(uow: Any, command: Any, principal: Principal) -> Any:
        authorize, handler = steps[type(command)]
        return await handler(uow, command, await authorize(uow, command, principal))

    return write
