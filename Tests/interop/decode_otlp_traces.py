"""Decodes OTLP ExportTraceServiceRequests (protobuf) with the official
opentelemetry-proto package and prints them as JSON (proto field names).

    python3 decode_otlp_traces.py FILE            one request
    python3 decode_otlp_traces.py --framed FILE   requests each after a 4-byte little-endian length
"""
import json
import sys

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

def decode(data):
    request = ExportTraceServiceRequest()
    request.ParseFromString(data)
    # Re-encoding must give the same bytes: nothing we wrote was unknown or malformed.
    if request.SerializeToString() != data:
        sys.exit("re-encoded bytes differ: the input had fields the schema does not know")
    return MessageToDict(request, preserving_proto_field_name=True)


framed = sys.argv[1] == "--framed"
with open(sys.argv[-1], "rb") as handle:
    data = handle.read()
if not framed:
    print(json.dumps(decode(data)))
else:
    requests, offset = [], 0
    while offset < len(data):
        length = int.from_bytes(data[offset:offset + 4], "little")
        requests.append(decode(data[offset + 4:offset + 4 + length]))
        offset += 4 + length
    print(json.dumps(requests))
