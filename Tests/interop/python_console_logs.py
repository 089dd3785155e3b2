"""Prints what OpenTelemetry Python's ConsoleLogRecordExporter prints for two
fixed log records (ids and timestamps given, so nothing varies), with the
resource replaced by {"service.name": "reference"}: LogsTests emits the same
records through otel-native and compares the text line for line.

    python3 python_console_logs.py
"""
import io
import json

from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

out = io.StringIO()
provider = LoggerProvider(resource=Resource.create({}))
provider.add_log_record_processor(SimpleLogRecordProcessor(ConsoleLogRecordExporter(out=out, formatter=lambda r: r.to_json() + "\n")))
logger = provider.get_logger("lib", "1.0", schema_url="https://s")
logger.emit(LogRecord(timestamp=1732540800123456789, observed_timestamp=1732540800999999000,
                      trace_id=0x0af7651916cd43dd8448eb211c80319c, span_id=0x00f067aa0ba902b7, trace_flags=3,
                      severity_text="WARN", severity_number=SeverityNumber.WARN, body="disk almost full",
                      attributes={"disk": "sda", "pct": 93, "ratio": 0.5, "ok": False}, event_name="disk.alert"))
logger.emit(LogRecord(observed_timestamp=1732540801000000000, severity_number=SeverityNumber.INFO, body="no span"))
provider.shutdown()

decoder = json.JSONDecoder()
text = out.getvalue()
index = 0
while index < len(text):
    while index < len(text) and text[index].isspace():
        index += 1
    if index == len(text):
        break
    record, index = decoder.raw_decode(text, index)
    record["resource"]["attributes"] = {"service.name": "reference"}
    print(json.dumps(record, indent=4))
