"""Traces and structured logs. Spans and log lines carry ids, never personal data."""

import contextvars
import json
import logging
import sys
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)

from .settings import ServiceSettings

_asyncpg_instrumented = False
_service_tracers: contextvars.ContextVar[TracerProvider | None] = contextvars.ContextVar(
    "service_tracer_provider", default=None
)


def serve_under(provider: TracerProvider) -> None:
    """Spans the chassis starts from here on in this task (and tasks it creates) belong to
    `provider`: each service has its own, and several may share a process in tests."""
    _service_tracers.set(provider)


def current_tracer(name: str) -> trace.Tracer:
    """A tracer of the service whose request or consumer is running (the global one outside)."""
    provider = _service_tracers.get()
    return provider.get_tracer(name) if provider is not None else trace.get_tracer(name)


def tracer_provider(settings: ServiceSettings, extra: SpanExporter | None = None) -> TracerProvider:
    """A provider per service (several may share a process in tests); exporter by configuration."""
    provider = TracerProvider(resource=Resource.create({"service.name": settings.service_name}))
    if settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    elif settings.otel_exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    if extra is not None:
        provider.add_span_processor(SimpleSpanProcessor(extra))
    return provider


def instrument_asyncpg(provider: TracerProvider) -> None:
    """Trace asyncpg once per process, never capturing parameters (they hold personal data)."""
    global _asyncpg_instrumented
    if _asyncpg_instrumented:
        return
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

    instrumentor = AsyncPGInstrumentor(capture_parameters=False)  # type: ignore[no-untyped-call]
    instrumentor.instrument(tracer_provider=provider)
    _asyncpg_instrumented = True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the current trace and span ids."""

    _skip = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        """The record as one JSON line, with the current trace and span ids."""
        out: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            out["trace_id"] = format(ctx.trace_id, "032x")
            out["span_id"] = format(ctx.span_id, "016x")
        out.update({k: v for k, v in record.__dict__.items() if k not in self._skip})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def setup_logging(level: str) -> None:
    """JSON logs on stderr at `level`, set up once however often it is called."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
