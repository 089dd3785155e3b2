#!/usr/bin/env bash
# The cost of process trees (docs/performance.md): the child environment
# built for every exec/posix_spawn; fork with the runtime loaded; the
# start-up and exit of an instrumented /bin/true with and without its
# process span, and with that span exported over OTLP to a local receiver
# (Python's http.server answering 200), as a shell script's every command
# would pay.
#
#   Benchmarks/process/run.sh [runs of /bin/true, default 300]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
runs="${1:-300}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$root" && make >/dev/null)
instrument="$root/.build/release/otel-instrument"
cc -O2 -I"$root/Plugins/Process/include" -o "$work/environment_bench" "$here/environment_bench.c" "$root/Plugins/Process/child_environment.c"
cc -O2 -o "$work/forks" "$here/forks.c"
uname -srm; nproc; date -u
"$work/environment_bench"
echo "uninstrumented:            $("$work/forks" 2000)"
echo "instrumented (no export):  $("$instrument" --traces_exporter none --metrics_exporter none --logs_exporter none -- "$work/forks" 2000)"

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
python3 - "$port" <<'PY' &
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done

# Milliseconds per run of `/bin/true` under the given prefix, best of three rounds.
per_run() {
    local best=""
    for _ in 1 2 3; do
        local start end
        start=$(date +%s%N)
        for _ in $(seq "$runs"); do "$@" /bin/true; done
        end=$(date +%s%N)
        local ms
        ms=$(echo "($end - $start) / $runs / 1000000" | bc -l)
        if [ -z "$best" ] || (( $(echo "$ms < $best" | bc -l) )); then best=$ms; fi
    done
    printf '%.2f ms' "$best"
}
none=(--traces_exporter none --metrics_exporter none --logs_exporter none)
echo "/bin/true uninstrumented:                      $(per_run env)"
echo "/bin/true, process span off, nothing exported:  $(per_run "$instrument" "${none[@]}" --process_spans false --)"
echo "/bin/true, process span on, not exported:       $(per_run "$instrument" "${none[@]}" --)"
echo "/bin/true, process span exported over OTLP:     $(per_run "$instrument" --traces_exporter otlp --metrics_exporter none --logs_exporter none --exporter_otlp_endpoint "http://127.0.0.1:$port" --)"
