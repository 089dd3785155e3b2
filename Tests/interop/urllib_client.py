"""An HTTP client for the interop tests, run under OpenTelemetry Python's
opentelemetry-instrument (its urllib instrumentation makes a CLIENT span per
request and injects its context). Fetches each URL given; prints
"STATUS URL" lines on stderr (stdout is left to the console span exporter)."""
import sys
import urllib.error
import urllib.request

for url in sys.argv[1:]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    print(status, url, file=sys.stderr, flush=True)
