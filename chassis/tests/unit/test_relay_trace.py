"""The relay continues the trace a row's `traceparent` names, read by hand (kafka._parent)."""

from ap_chassis.kafka import _parent
from opentelemetry.trace import get_current_span

TRACE, SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"


def test_a_w3c_traceparent_names_the_parent_span():
    ctx = _parent({"traceparent": f"00-{TRACE}-{SPAN}-01"})
    parent = get_current_span(ctx).get_span_context()
    assert (format(parent.trace_id, "032x"), format(parent.span_id, "016x")) == (TRACE, SPAN)
    assert parent.is_remote and parent.trace_flags.sampled


def test_no_or_malformed_traceparent_starts_a_new_trace():
    for headers in (
        {},
        {"traceparent": ""},
        {"traceparent": f"01-{TRACE}-{SPAN}-01"},
        {"traceparent": f"00-{TRACE[:-1]}x-{SPAN}-01"},
        {"traceparent": f"00-{'0' * 32}-{SPAN}-01"},
        {"traceparent": f"00-{TRACE}-{SPAN}"},
    ):
        assert _parent(headers) is None, headers
