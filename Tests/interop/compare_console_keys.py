"""Checks that every span object on stdin has the keys, nesting and key order
of OpenTelemetry Python's ConsoleSpanExporter output, and values of the same
JSON types and formats. The reference is a real span exported by the real
SDK through ConsoleSpanExporter. Exits non-zero with the first difference.

    otel-example | python3 compare_console_keys.py
"""
import io
import json
import re
import sys

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode


def reference_span():
    out = io.StringIO()
    provider = TracerProvider(resource=Resource.create({"service.name": "reference"}))
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=out)))
    tracer = provider.get_tracer("reference")
    with tracer.start_as_current_span("parent") as parent:
        with tracer.start_as_current_span("child", kind=SpanKind.CLIENT,
                                          links=[Link(parent.get_span_context(), {"k": "v"})]) as child:
            child.set_attribute("a", 1)
            child.add_event("evt", {"e": True})
            child.set_status(Status(StatusCode.ERROR, "boom"))
    provider.shutdown()
    return json.JSONDecoder(object_pairs_hook=list).raw_decode(out.getvalue())[0]


def objects(text):
    decoder = json.JSONDecoder(object_pairs_hook=list)
    index = 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index == len(text):
            return
        value, index = decoder.raw_decode(text, index)
        yield value


ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
HEX = {"trace_id": re.compile(r"^0x[0-9a-f]{32}$"), "span_id": re.compile(r"^0x[0-9a-f]{16}$"),
       "parent_id": re.compile(r"^0x[0-9a-f]{16}$")}


def keys(pairs):
    return [key for key, _ in pairs]


def check(ours, reference, path="span"):
    """Same keys in the same order for the fixed-shape objects."""
    if keys(ours) != keys(reference):
        # status has "description" only for ERROR with a description.
        if not (path.endswith("status") and keys(ours) == ["status_code"]):
            raise SystemExit(f"{path}: keys {keys(ours)} != {keys(reference)}")
    reference_map = dict(reference)
    for key, value in ours:
        where = f"{path}.{key}"
        if key in ("attributes",):
            if not isinstance(value, list):
                raise SystemExit(f"{where}: not an object")
            continue
        if key in ("start_time", "end_time", "timestamp") and not ISO.match(value):
            raise SystemExit(f"{where}: {value!r} is not Python's ISO format")
        if key in HEX and value is not None and not HEX[key].match(value):
            raise SystemExit(f"{where}: {value!r} is not 0x-prefixed lowercase hex")
        if key == "kind" and not value.startswith("SpanKind."):
            raise SystemExit(f"{where}: {value!r}")
        if key == "trace_state" and not value.startswith("["):
            raise SystemExit(f"{where}: {value!r}")
        if key in ("context", "status", "resource") and key in reference_map:
            check(value, reference_map[key], where)
        if key in ("events", "links") and value and reference_map.get(key):
            for item in value:
                check(item, reference_map[key][0], where + "[]")


reference = reference_span()
count = 0
for span in objects(sys.stdin.read()):
    check(span, reference)
    count += 1
if count == 0:
    raise SystemExit("no span on stdin")
print(f"{count} spans match the ConsoleSpanExporter format")
