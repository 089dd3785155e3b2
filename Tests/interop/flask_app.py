"""A Flask app for the interop tests, run under OpenTelemetry Python's
opentelemetry-instrument: answers /hello, and prints its port on the first line."""
import socket
import sys

from flask import Flask

app = Flask(__name__)


@app.route("/hello")
def hello():
    return "hello from flask\n"


if __name__ == "__main__":
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    print(port, flush=True)
    app.run(host="127.0.0.1", port=port)
