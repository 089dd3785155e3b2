"""Renders fixed spans with OpenTelemetry Python's ConsoleSpanExporter format.

ConsoleExporterInteropTests builds the same spans in Swift and requires our
console exporter's output to equal this script's, byte for byte.
"""
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags, TraceState

resource = Resource(
    {
        "service.name": "checkout",
        "process.pid": 4242,
        "deployment.environment": "staging \"blue\"",
    },
    schema_url="https://opentelemetry.io/schemas/1.26.0",
)

parent = SpanContext(0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, is_remote=True,
                     trace_flags=TraceFlags(1))
context = SpanContext(0x0AF7651916CD43DD8448EB211C80319C, 0x00F067AA0BA902B7, is_remote=False,
                      trace_flags=TraceFlags(1),
                      trace_state=TraceState([("vendor", "v1"), ("other", "it's")]))
linked = SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x53995C3F42CD8AD8, is_remote=True,
                     trace_flags=TraceFlags(0))

full = ReadableSpan(
    name="GET /items",
    context=context,
    parent=parent,
    resource=resource,
    attributes={
        "http.request.method": "GET",
        "text": "line\nbreak \"quoted\" back\\slash tab\t café 日本 🎉",
        "flag": True,
        "count": -42,
        "ratio": 0.1,
        "tiny": 1e-05,
        "huge": 1e16,
        "round": 123.0,
        "strings": ("a", "b"),
        "bools": (True, False),
        "ints": (1, -2, 3),
        "doubles": (1.5, -0.25),
        "empty": (),
    },
    events=(
        Event("exception", {"exception.type": "ValueError", "exception.message": "bad"}, timestamp=1732540800123456789),
        Event("plain", {}, timestamp=1732540800999999999),
    ),
    links=(Link(linked, {"link.kind": "follows"}),),
    kind=SpanKind.SERVER,
    status=Status(StatusCode.ERROR, "boom"),
    start_time=1732540800000001000,
    end_time=1732540801500000500,
)

minimal = ReadableSpan(
    name="root",
    context=SpanContext(0x1, 0x2, is_remote=False, trace_flags=TraceFlags(1)),
    parent=None,
    resource=Resource({}, schema_url=""),
    attributes={},
    events=(),
    links=(),
    kind=SpanKind.INTERNAL,
    status=Status(StatusCode.OK, "ignored"),
    start_time=1,
    end_time=999,
)

for span in (full, minimal):
    sys.stdout.write(span.to_json() + "\n")
