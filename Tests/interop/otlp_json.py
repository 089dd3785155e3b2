"""The one difference between the OTLP JSON encoding and the proto3 JSON
mapping that the official parser follows: trace and span ids are hex, not
base64 (OTLP spec, "JSON Protobuf Encoding")."""
import base64


def ids_to_base64(value):
    """Rewrites, in place, every traceId, spanId and parentSpanId from hex to base64."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(item, str):
                value[key] = base64.b64encode(bytes.fromhex(item)).decode()
            else:
                ids_to_base64(item)
    elif isinstance(value, list):
        for item in value:
            ids_to_base64(item)
