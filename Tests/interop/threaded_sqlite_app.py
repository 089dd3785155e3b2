"""A thread-per-request HTTP server for the tests (Python's ThreadingHTTPServer):
GET /count runs SQLite statements while handling the request and answers with
the count. Serves on 127.0.0.1 at the port given."""
import sqlite3
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        db = sqlite3.connect(":memory:")
        db.execute("create table hits(n)")
        db.execute("insert into hits values (1)")
        count = db.execute("select count(*) from hits").fetchone()[0]
        db.close()
        body = f"{count}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
