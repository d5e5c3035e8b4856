"""The unit of work: one transaction, and the events a use case decided, written on commit.

A use case (handler) takes a unit of work and a typed command. It loads state through the unit
of work's repositories, asks the domain to decide (`decide(state, command) -> (state, events)`),
saves the new state and hands the decided events to `record`. The events reach the outbox only
when the caller commits; a unit of work left without `commit()` rolls back and records nothing.
Handlers never commit: the edge that opened the unit of work (a command route, an import run)
commits once the answer has been remembered, so the answer and the events are one transaction.

Two implementations share this contract: `PgUnitOfWork` (a pooled connection and a transaction)
and `FakeUnitOfWork` (in memory, for handler tests that need no infrastructure). A service's
own unit of work subclasses both to add its repositories.
"""

from contextvars import Token
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import asyncpg
from ap_schemas import codec
from ap_schemas.envelope import Actor, CloudEvent
from ap_schemas.events import EventData
from opentelemetry import context, trace
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, Context

from . import outbox, telemetry

_DB_ATTRIBUTES = {"db.system": "postgresql"}


@dataclass(frozen=True)
class EventContext:
    """What every event written by one command shares: its source, actor and correlation id."""

    source: str
    actor: Actor
    correlation_id: str


class UnitOfWork:
    """Collects the events of one command; subclasses decide where they go on commit."""

    def __init__(self, ctx: EventContext) -> None:
        self.ctx = ctx
        self.pending: list[CloudEvent[EventData]] = []
        self.committed = False

    def record(self, *datas: EventData) -> list[str]:
        """Wrap event data in envelopes for this command, to be written on commit; return ids."""
        events = [
            codec.build(
                d,
                source=self.ctx.source,
                actor=self.ctx.actor,
                correlation_id=self.ctx.correlation_id,
            )
            for d in datas
        ]
        self.pending.extend(events)
        return [str(e.id) for e in events]

    async def commit(self) -> None:
        """Hand the recorded events to the outbox and mark the work committed."""
        await self._flush(self.pending)
        self.pending = []
        self.committed = True

    async def _flush(self, events: list[CloudEvent[EventData]]) -> None:
        raise NotImplementedError


class PgUnitOfWork(UnitOfWork):
    """A transaction on one pooled connection; the events go to the outbox in that transaction.

    Use as `async with PgUnitOfWork(conn, ctx) as uow: ...; await uow.commit()`.

    The transaction is one span (`db.transaction`, with how it ended) in the request's trace; the
    statements inside it make no spans of their own. A command's eight or so statements each
    made a span before, a fifth of its CPU, and said nothing the transaction span does not.
    """

    def __init__(self, conn: asyncpg.Connection, ctx: EventContext) -> None:
        super().__init__(ctx)
        self.conn = conn
        self._tx = conn.transaction()
        self._span: trace.Span | None = None
        self._quiet: Token[Context] | None = None

    async def __aenter__(self) -> Self:
        self._span = telemetry.current_tracer(__name__).start_span(
            "db.transaction", kind=trace.SpanKind.CLIENT, attributes=_DB_ATTRIBUTES
        )
        span_context = trace.set_span_in_context(self._span)
        self._quiet = context.attach(context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, True,
                                                       span_context))  # fmt: skip
        try:
            await self._tx.start()
        except BaseException:
            self._end("failed")
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self.committed:
                self.pending = []
                await self._tx.rollback()
        finally:
            self._end("committed" if self.committed else "rolled back")

    def _end(self, outcome: str) -> None:
        if self._quiet is not None:
            context.detach(self._quiet)
            self._quiet = None
        if self._span is not None:
            self._span.set_attribute("db.outcome", outcome)
            self._span.end()
            self._span = None

    async def commit(self) -> None:
        """Write the outbox rows, then commit the transaction: state and events at once."""
        await super().commit()
        await self._tx.commit()

    async def _flush(self, events: list[CloudEvent[EventData]]) -> None:
        if events:
            await outbox.append(self.conn, *events)


class FakeUnitOfWork(UnitOfWork):
    """In memory: `events` holds what was committed, in order; nothing survives a rollback."""

    def __init__(self, ctx: EventContext | None = None) -> None:
        super().__init__(ctx or EventContext("test", Actor(system="test", user_id="u-test"), "c-1"))
        self.events: list[CloudEvent[EventData]] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self.committed:
            self.pending = []

    async def _flush(self, events: list[CloudEvent[EventData]]) -> None:
        self.events.extend(events)

    @property
    def event_data(self) -> list[EventData]:
        """The committed events' data, for assertions."""
        return [e.data for e in self.events]
