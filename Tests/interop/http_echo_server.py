"""An HTTP/1.1 server for the HTTP client tests: answers every request with a
JSON body of its method, path and headers (a list, so duplicates show), and
with the status /status/NNN asks for. Prints its port on the first line."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        status = 200
        if self.path.startswith("/status/"):
            status = int(self.path.split("/")[2].split("?")[0])
        payload = json.dumps({"method": self.command, "path": self.path, "body": body,
                              "headers": [[k.lower(), v] for k, v in self.headers.items()]}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_PURGE = answer

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), Echo)
print(server.server_address[1], flush=True)
server.serve_forever()
