"""Checks that an OTLP request in the JSON encoding (hex ids, as the OTLP spec
says) and the same request in protobuf decode, with the official
opentelemetry-proto package, to equal messages. Exits non-zero with both
renderings when they differ.

    python3 compare_otlp_encodings.py traces|metrics|logs PROTOBUF_FILE JSON_FILE
"""
import json
import sys

from google.protobuf.json_format import MessageToJson, ParseDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from otlp_json import ids_to_base64


kind = {"traces": ExportTraceServiceRequest, "metrics": ExportMetricsServiceRequest, "logs": ExportLogsServiceRequest}[sys.argv[1]]
from_protobuf = kind()
with open(sys.argv[2], "rb") as handle:
    from_protobuf.ParseFromString(handle.read())
with open(sys.argv[3]) as handle:
    document = json.load(handle)
ids_to_base64(document)
from_json = ParseDict(document, kind())  # strict: an unknown field is an error
if from_json != from_protobuf:
    sys.exit("the encodings differ:\nprotobuf: " + MessageToJson(from_protobuf) + "\njson: " + MessageToJson(from_json))
