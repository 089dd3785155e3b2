#!/usr/bin/env bash
# nginx uninstrumented (or in a base configuration) and nginx in another
# configuration, both running at once on CPU 1, each under its own wrk (CPU 0): what the machine does during
# a run (other tenants, frequency) then happens to both alike, which one run
# after the other (run.sh) cannot arrange. Per run: each nginx's CPU time per
# request (all its threads, from /proc/PID/task/*/schedstat, nanoseconds) and
# its requests. Every other run swaps the two (ports and start order). The
# summary gives, over the runs, the mean added CPU per request with its 95 %
# confidence interval, and the median (docs/performance.md); the "(threads)"
# column and the last line give what of the compared nginx's CPU went to its
# threads other than its first (ours), the rest being nginx's own thread's. The requests each
# one served are shown but not compared: how the scheduler splits the CPU
# between two busy servers moves them by several per cent either way. Two processes sharing a CPU also evict each other's
# caches, which costs the one with more code and data a little more: the
# figure leans against the instrumented side.
#
#   Benchmarks/http-server/at_once.sh [seconds per run, default 5] [runs, default 20] [configuration, default sampled] [base, default uninstrumented]
#   BASE_ROOT=/another/checkout Benchmarks/http-server/at_once.sh 5 40 sampled sampled
#       the base configuration runs that checkout's build (made there beforehand):
#       what the changes between the two do, measured at once
#
# configurations: those of choose_configuration in common.sh (uninstrumented
# against itself measures what the two positions alone make of the figure; a
# base other than uninstrumented measures what one configuration adds to
# another directly, e.g. "sampled metric": the spans of 1 % of the requests).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-5}"
runs="${2:-20}"
compared="${3:-sampled}"
base="${4:-uninstrumented}"
source "$here/common.sh"
configure_pair

# One run: the base nginx as `first` or `second`, the other in the compared
# configuration; prints requests and CPU ns of the base one, then of the other.
run_once() { # position of the compared configuration: 0 or 1
    local names=(first second) pids=() index
    for index in 0 1; do
        local -a command=(/usr/sbin/nginx -c "$work/${names[index]}.conf" -e "$work/${names[index]}.error.log")
        if [ "$index" -eq "$1" ]; then
            build_root="$root"; choose_configuration "$compared"
        else
            build_root="${BASE_ROOT:-$root}"; choose_configuration "$base"
        fi
        "${server_cpu[@]}" "${prefix[@]}" "${command[@]}" &
        pids+=($!)
    done
    local measured
    read -r -a measured < <(measure_pair "${pids[0]}" "${pids[1]}" "$seconds")
    kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
    local other=$((1 - $1))
    echo "${measured[2 * other]} ${measured[2 * other + 1]} ${measured[2 * $1]} ${measured[2 * $1 + 1]} ${measured[4 + $1]}"
}

build_root="${BASE_ROOT:-$root}"
choose_configuration "$base"
echo -n "$label${BASE_ROOT:+ (built in $BASE_ROOT)} against: "
build_root="$root"
choose_configuration "$compared"
echo "$label, ${seconds} s per run"
printf '%-6s %9s %12s %12s %12s %12s %9s\n' run position "requests" "ns/request" "ns/request" "(threads)" "added"
results="$work/results"
for run in $(seq "$runs"); do
    position=$((run % 2))
    read -r base_requests base_ns other_requests other_ns other_threads_ns < <(run_once "$position")
    python3 - "$run" "$position" "$base_requests" "$base_ns" "$other_requests" "$other_ns" "$other_threads_ns" <<'PY' | tee -a "$results"
import sys
run, position, base_requests, base_ns, other_requests, other_ns, other_threads_ns = sys.argv[1:]
base, other = int(base_ns) / int(base_requests), int(other_ns) / int(other_requests)
threads = int(other_threads_ns) / int(other_requests)
print(f"{run:<6} {position:>9} {base_requests:>6}/{other_requests:<6} {base:12.0f} {other:12.0f} {threads:12.0f} {100 * (other / base - 1):8.2f} %")
PY
done
interval_summary "$results" "added CPU per request"
# (threads): of the compared nginx's CPU per request, what its threads other
# than its first took (ours: the export threads); the rest is on nginx's thread.
python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
threads = statistics.mean(float(row[5]) for row in rows)
base = statistics.mean(float(row[3]) for row in rows)
print(f"of which on threads other than nginx's: mean {threads:.0f} ns per request, {100 * threads / base:.2f} % of the base's CPU per request")
PY
