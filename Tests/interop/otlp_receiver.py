"""A test OTLP/HTTP receiver: decodes every request with the official
decoder (the opentelemetry-proto package) and appends it, as the protobuf
JSON mapping, to a file, one request per line:
{"path": ..., "status": ..., "time": ..., "encoding": "gzip"|null, "user_agent": ..., "headers": {...}, "body": {...}}.

    python3 otlp_receiver.py OUTPUT [--statuses 503,200] [--retry-after S] [--hang] [--delay S]
                                    [--tls CERTIFICATE KEY [--client-ca CA]]

Prints the port it listens on (127.0.0.1, chosen by the system), then serves
until killed. --statuses answers the requests in turn with those statuses
(the last one repeats); --hang accepts connections and never answers.
"""
import argparse
import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.json_format import MessageToDict, ParseDict
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest, ExportLogsServiceResponse)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest, ExportMetricsServiceResponse)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest, ExportTraceServiceResponse)

from otlp_json import ids_to_base64

MESSAGES = {"/v1/traces": (ExportTraceServiceRequest, ExportTraceServiceResponse),
            "/v1/metrics": (ExportMetricsServiceRequest, ExportMetricsServiceResponse),
            "/v1/logs": (ExportLogsServiceRequest, ExportLogsServiceResponse)}

arguments = argparse.ArgumentParser()
arguments.add_argument("output")
arguments.add_argument("--statuses", default="200")
arguments.add_argument("--retry-after")
arguments.add_argument("--hang", action="store_true")
arguments.add_argument("--delay", type=float, default=0, help="seconds to wait before answering each request")
arguments.add_argument("--partial", type=int, default=0, help="answer 200 with a partial_success rejecting this many items")
arguments.add_argument("--tls", nargs=2, metavar=("CERTIFICATE", "KEY"), help="serve https with this certificate")
arguments.add_argument("--client-ca", help="require a client certificate signed by this CA")
options = arguments.parse_args()
statuses = [int(s) for s in options.statuses.split(",")]
lock = threading.Lock()
answered = [0]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        if options.hang:
            time.sleep(3600)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        request_type, response_type = MESSAGES.get(self.path, (None, None))
        with lock:
            status = statuses[min(answered[0], len(statuses) - 1)]
            answered[0] += 1
            record = {"path": self.path, "status": status, "encoding": encoding, "time": time.monotonic(),
                      "user_agent": self.headers.get("User-Agent"),
                      "content_type": self.headers.get("Content-Type"),
                      "headers": {k.lower(): v for k, v in self.headers.items()}}
            if request_type is not None:
                message = request_type()
                if self.headers.get("Content-Type") == "application/json":
                    document = json.loads(body)
                    ids_to_base64(document)
                    ParseDict(document, message)  # strict: an unknown field is an error
                else:
                    message.ParseFromString(body)
                record["body"] = MessageToDict(message)
            with open(options.output, "a") as out:
                out.write(json.dumps(record) + "\n")
        if options.delay:
            time.sleep(options.delay)
        self.send_response(status)
        if options.retry_after and status != 200:
            self.send_header("Retry-After", options.retry_after)
        payload = b""
        if response_type and status == 200:
            response = response_type()
            if options.partial:
                rejected = {"/v1/traces": "rejected_spans", "/v1/metrics": "rejected_data_points", "/v1/logs": "rejected_log_records"}
                setattr(response.partial_success, rejected[self.path], options.partial)
                response.partial_success.error_message = "over quota"
            payload = response.SerializeToString()
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
if options.tls:
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*options.tls)
    if options.client_ca:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(options.client_ca)
    server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
