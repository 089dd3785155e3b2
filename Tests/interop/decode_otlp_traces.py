"""Decodes an OTLP ExportTraceServiceRequest (protobuf) with the official
opentelemetry-proto package and prints it as JSON (proto field names).

    python3 decode_otlp_traces.py FILE
"""
import json
import sys

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

with open(sys.argv[1], "rb") as handle:
    data = handle.read()
request = ExportTraceServiceRequest()
request.ParseFromString(data)
# Re-encoding must give the same bytes: nothing we wrote was unknown or malformed.
if request.SerializeToString() != data:
    sys.exit("re-encoded bytes differ: the input had fields the schema does not know")
print(json.dumps(MessageToDict(request, preserving_proto_field_name=True)))
