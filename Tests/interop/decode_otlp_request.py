"""Decodes one OTLP Export{Metrics,Logs}ServiceRequest (protobuf) with the
official opentelemetry-proto package and prints it as JSON (proto field names).
Re-encoding must give the same bytes: nothing written was unknown or malformed.

    python3 decode_otlp_request.py metrics|logs FILE
"""
import json
import sys

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

request = {"metrics": ExportMetricsServiceRequest, "logs": ExportLogsServiceRequest}[sys.argv[1]]()
with open(sys.argv[2], "rb") as handle:
    data = handle.read()
request.ParseFromString(data)
if request.SerializeToString() != data:
    sys.exit("re-encoded bytes differ: the input had fields the schema does not know")
print(json.dumps(MessageToDict(request, preserving_proto_field_name=True)))
