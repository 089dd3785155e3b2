"""Prints what OpenTelemetry Python's ConsoleMetricExporter prints for a fixed
set of recordings, with every timestamp replaced by 0 (null stays null) and the
resource replaced by {"service.name": "reference"}: MetricsTests records the
same values through otel-native and compares the text line for line.

    python3 python_console_metrics.py
"""
import io
import json

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

out = io.StringIO()
reader = PeriodicExportingMetricReader(ConsoleMetricExporter(out=out), export_interval_millis=3_600_000)
provider = MeterProvider(resource=Resource.create({}), metric_readers=[reader])
meter = provider.get_meter("lib", "1.0", schema_url="https://s")
requests = meter.create_counter("requests", unit="1", description="reqs")
requests.add(3, {"a": "x"})
requests.add(2, {"a": "x"})
requests.add(1, {"a": "y", "b": True})
latency = meter.create_histogram("latency", unit="s", description="lat", explicit_bucket_boundaries_advisory=[0.1, 1.0])
for value in (0.05, 0.5, 3.0):
    latency.record(value, {"k": 1})
queue = meter.create_up_down_counter("queue", unit="{item}")
queue.add(5)
queue.add(-2)
temperature = meter.create_gauge("temp", unit="Cel")
temperature.set(21.5, {"room": "a"})
sizes = meter.create_histogram("sizes", unit="By")
sizes.record(7)
sizes.record(300)
provider.shutdown()

data = json.loads(out.getvalue())
for resource_metrics in data["resource_metrics"]:
    resource_metrics["resource"]["attributes"] = {"service.name": "reference"}
    for scope_metrics in resource_metrics["scope_metrics"]:
        for metric in scope_metrics["metrics"]:
            for point in metric["data"]["data_points"]:
                for key in ("start_time_unix_nano", "time_unix_nano"):
                    if point[key] is not None:
                        point[key] = 0
print(json.dumps(data, indent=4))
