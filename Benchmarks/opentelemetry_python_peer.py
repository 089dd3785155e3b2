"""The OpenTelemetry Python peer for docs/performance.md: the same work as
otel-bench, measured the same way (median of 7 runs, ns per operation on the
calling thread), through a BatchSpanProcessor whose exporter discards spans.
The OTLP encoding row needs opentelemetry-exporter-otlp-proto-common.

    python3 Benchmarks/opentelemetry_python_peer.py
"""
import time

import threading

from opentelemetry import context, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator


class DiscardingExporter(SpanExporter):
    def export(self, spans):
        return SpanExportResult.SUCCESS


def measure(name, iterations, body):
    for _ in range(iterations // 10):
        body()
    samples = []
    for _ in range(7):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            body()
        samples.append((time.perf_counter_ns() - start) / iterations)
    samples.sort()
    print(f"| {name} | {samples[3]:.1f} |")


sampled_provider = TracerProvider()
sampled_provider.add_span_processor(BatchSpanProcessor(DiscardingExporter(), max_queue_size=1 << 21))
sampled = sampled_provider.get_tracer("bench")
unsampled = TracerProvider(sampler=ParentBased(ALWAYS_OFF)).get_tracer("bench")
iterations = 20_000


def five_attributes():
    span = sampled.start_span("span")
    span.set_attribute("db.system.name", "sqlite")
    span.set_attribute("db.operation.name", "SELECT")
    span.set_attribute("db.collection.name", "users")
    span.set_attribute("db.response.returned_rows", 42)
    span.set_attribute("retry", False)
    span.end()


current = sampled.start_span("current")
current_context = trace.set_span_in_context(current)
propagator = TraceContextTextMapPropagator()


def make_current():
    token = context.attach(current_context)
    context.detach(token)


def inject_extract():
    carrier = {}
    propagator.inject(carrier, context=current_context)
    propagator.extract(carrier)


print("| operation (OpenTelemetry Python) | ns/op |")
print("|---|---|")
measure("sampled span start+end, 0 attributes", iterations, lambda: sampled.start_span("span").end())
measure("sampled span start+end, 5 attributes", iterations, five_attributes)
measure("non-sampled span start+end", iterations, lambda: unsampled.start_span("span").end())
measure("make a span current + restore", iterations, make_current)
measure("traceparent inject + extract", iterations, inject_extract)
current.end()
sampled_provider.shutdown()

# Metrics: a histogram record with three attributes, alone and while another
# thread records into the same instrument and attribute set.
meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
histogram = meter_provider.get_meter("bench").create_histogram(
    "db.client.operation.duration", unit="s", explicit_bucket_boundaries_advisory=[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10])
metric_attributes = {"db.system.name": "sqlite", "db.operation.name": "INSERT", "db.collection.name": "users"}
measure("histogram record, 3 attributes", iterations, lambda: histogram.record(0.0042, metric_attributes))
stop = threading.Event()


def record_until_stopped():
    while not stop.is_set():
        for _ in range(1000):
            histogram.record(0.0042, metric_attributes)


other = threading.Thread(target=record_until_stopped)
other.start()
measure("histogram record, 3 attributes, 2 threads at once", iterations, lambda: histogram.record(0.0042, metric_attributes))
stop.set()
other.join()
meter_provider.shutdown()

# OTLP protobuf encoding of a batch of 512 spans like the SQLite instrumentation's, per span.
try:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
except ImportError:
    print("| OTLP protobuf encoding, per span (batches of 512) | (pip install opentelemetry-exporter-otlp-proto-common) |")
else:
    from opentelemetry.sdk.trace.export import SpanExporter as _Exporter

    class Collecting(_Exporter):
        spans = []

        def export(self, spans):
            Collecting.spans.extend(spans)
            return SpanExportResult.SUCCESS

    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    encoding_provider = TracerProvider()
    encoding_provider.add_span_processor(SimpleSpanProcessor(Collecting()))
    encoding_tracer = encoding_provider.get_tracer("otel-native.sqlite3", "0.1.0", schema_url="https://opentelemetry.io/schemas/1.33.0")
    with encoding_tracer.start_as_current_span("parent"):
        for _ in range(512):
            span = encoding_tracer.start_span("INSERT t", kind=trace.SpanKind.CLIENT)
            for key, value in (("db.system.name", "sqlite"), ("db.operation.name", "INSERT"), ("db.collection.name", "t"),
                               ("db.query.summary", "INSERT t"), ("db.query.text", "insert into t values (?, ?);"),
                               ("db.namespace", "b.db")):
                span.set_attribute(key, value)
            span.end()
    batch = [s for s in Collecting.spans if s.name == "INSERT t"]
    samples = []
    for _ in range(7):
        start = time.perf_counter_ns()
        for _ in range(5):
            encode_spans(batch).SerializeToString()
        samples.append((time.perf_counter_ns() - start) / (5 * len(batch)))
    samples.sort()
    print(f"| OTLP protobuf encoding, per span (batches of 512) | {samples[3]:.1f} |")
