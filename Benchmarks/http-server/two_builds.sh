#!/usr/bin/env bash
# Two builds of the HTTP server instrumentation (libOTelHTTPServer.so compiled
# with two sets of compiler flags), each in an nginx under otel-instrument
# (by default 1 % sampled, OTLP export), both at once on CPU 1 as in at_once.sh: the CPU
# per request of the second build against the first, run by run (every other
# run swaps their ports and start order), and the mean with its 95 % interval
# (docs/performance.md).
#
#   Benchmarks/http-server/two_builds.sh "FLAGS A" "FLAGS B" [seconds per run, default 5] [runs, default 12] [configuration, default sampled]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
flags=("$1" "$2")
seconds="${3:-5}"
runs="${4:-12}"
configuration="${5:-sampled}" # one of choose_configuration's in common.sh
source "$here/common.sh"
plugin="$root/.build/release/libOTelHTTPServer.so"
cp "$plugin" "$work/installed.so"
trap 'mv -f "$work/installed.so" "$plugin" 2>/dev/null; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
for build in 0 1; do
    # shellcheck disable=SC2086 # the flags are words
    cc -shared -fPIC ${flags[build]} -fvisibility=hidden -I"$root/Sources/COTelCore/include" -I"$root/Sources/COTelPlugin/include" \
        -I"$root/Plugins/Distro/include" -I"$root/Plugins/HTTPServer/include" -I"$root/Plugins/HTTPSemconv/include" \
        -o "$work/build$build.so" "$root"/Plugins/HTTPServer/*.c "$root/Plugins/HTTPSemconv/http_semconv.c"
done
configure_pair
choose_configuration "$configuration"
echo "build A: ${flags[0]}; build B: ${flags[1]}; $label, ${seconds} s per run"
results="$work/results"
for run in $(seq "$runs"); do
    order=(0 1); [ $((run % 2)) -eq 0 ] && order=(1 0) # which build serves `first`
    names=(first second) pids=()
    for index in 0 1; do
        # A process maps the library it finds at start: each build is renamed into place before its nginx starts.
        cp "$work/build${order[index]}.so" "$plugin.new" && mv -f "$plugin.new" "$plugin"
        "${server_cpu[@]}" "${prefix[@]}" /usr/sbin/nginx -c "$work/${names[index]}.conf" -e "$work/${names[index]}.error.log" &
        pids+=($!)
        wait_for "${ports[index]}"
    done
    read -r first_requests first_ns second_requests second_ns _ < <(measure_pair "${pids[0]}" "${pids[1]}" "$seconds")
    kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
    python3 - "$run" "${order[0]}" "$first_requests" "$first_ns" "$second_requests" "$second_ns" <<'PY' | tee -a "$results"
import sys
run, first_build, first_requests, first_ns, second_requests, second_ns = sys.argv[1:]
cost = {int(first_build): int(first_ns) / int(first_requests), 1 - int(first_build): int(second_ns) / int(second_requests)}
print(f"{run:<4} A {cost[0]:8.0f} ns/request  B {cost[1]:8.0f} ns/request  B against A {100 * (cost[1] / cost[0] - 1):6.2f} %")
PY
done
interval_summary "$results" "B against A, CPU per request"
