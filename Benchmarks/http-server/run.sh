#!/usr/bin/env bash
# nginx (one process, a small static file) under wrk on loopback: uninstrumented,
# with a preloaded thread that only sleeps (the floor of any in-process SDK
# with an export thread), then under otel-instrument with spans exported over
# OTLP/HTTP (to a second, uninstrumented nginx that answers 200 to every
# export) with 1 % sampled and with every request sampled, then every request
# sampled but no exporter. nginx runs on CPU 1 (its export threads with it, so
# their work counts), wrk and the receiving nginx on CPU 0. Configurations run
# in turn within each round; the summary gives, per configuration, the median
# over rounds of requests/s and of the throughput lost against the
# uninstrumented run of the same round, the best run and its loss against the
# best uninstrumented one, and nginx's median CPU time per request
# (docs/performance.md). Needs nginx and wrk (apt-get).
#
#   Benchmarks/http-server/run.sh [seconds per run, default 10] [rounds, default 3] [configurations]
#
# configurations: those of choose_configuration in common.sh (default: thread
# sampled instrumented bare; uninstrumented is always run). Every other round
# runs them in reverse order.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-10}"
rounds="${2:-3}"
configurations="uninstrumented" # always run: the others are compared with it, round by round
for configuration in ${3:-thread sampled instrumented bare}; do
    [ "$configuration" = uninstrumented ] || configurations+=" $configuration"
done
source "$here/common.sh"
site_port="$(free_port)"
config site "$site_port" "root $work/www;"
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; } # user and system ticks of the whole process

# One measurement: starts nginx (with the given prefix command), runs wrk, prints
# req/s and nginx's user and system CPU µs per request (all its threads).
measure() {
    "${server_cpu[@]}" "$@" /usr/sbin/nginx -c "$work/site.conf" -e "$work/site.error.log" &
    local pid=$!
    wait_for "$site_port"
    "${client_cpu[@]}" wrk -t1 -c16 -d1s "http://127.0.0.1:$site_port/index.html" >/dev/null # warm-up
    local before after
    before="$(cpu_ticks "$pid")"
    local out
    out="$("${client_cpu[@]}" wrk -t1 -c16 -d"${seconds}s" "http://127.0.0.1:$site_port/index.html")"
    after="$(cpu_ticks "$pid")"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    local requests rate hz
    requests="$(echo "$out" | awk '/requests in/ {print $1}')"
    rate="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
    hz="$(getconf CLK_TCK)"
    read -r user_before system_before <<< "$before"
    read -r user_after system_after <<< "$after"
    per_request() { echo "($1) * 1000000 / $hz / $requests" | bc -l | xargs printf '%.1f'; }
    echo "$rate $(per_request "$user_after - $user_before") $(per_request "$system_after - $system_before")"
}

cc -O2 -I"$root/Plugins/HTTPServer/include" -o "$work/parser_bench" "$here/parser_bench.c" "$root/Plugins/HTTPServer/http_parser.c"
"$work/parser_bench"
printf '%-44s %11s %10s %12s\n' "configuration" "requests/s" "user µs/req" "system µs/req"
results="$work/results"
for round in $(seq "$rounds"); do
    order="$configurations" # every other round in reverse, so that a drift of the machine favours none
    [ $((round % 2)) -eq 0 ] && order="$(echo "$configurations" | tr ' ' '\n' | tac | tr '\n' ' ')"
    for configuration in $order; do
        choose_configuration "$configuration"
        read -r rate user system < <(measure "${prefix[@]}")
        printf '%-44s %11s %10s %12s\n' "$label (round $round)" "$rate" "$user" "$system"
        echo "$round|$label|$rate|$user|$system" >> "$results"
    done
done
python3 - "$results" <<'PY'
import statistics, sys
# Two estimates of what each configuration loses: the median over rounds of the
# loss against the uninstrumented run of the same round (robust to the machine
# drifting), and the loss between each configuration's best run (robust to
# interference from other tenants, which only ever slows a run down).
rows = [line.rstrip("\n").split("|") for line in open(sys.argv[1])]
base = {r[0]: float(r[2]) for r in rows if r[1] == "uninstrumented"}
best_base = max(base.values())
print(f"\n{'over rounds':<44} {'median r/s':>10} {'lost':>7} {'lost range':>15} {'best r/s':>9} {'lost':>7} {'CPU µs/req':>11}")
for label in dict.fromkeys(r[1] for r in rows):
    mine = [r for r in rows if r[1] == label]
    rates = [float(r[2]) for r in mine]
    cpu = [float(r[3]) + float(r[4]) for r in mine]
    lost = [100 * (1 - float(r[2]) / base[r[0]]) for r in mine]
    compared = label != "uninstrumented"
    median_lost = f"{statistics.median(lost):.1f} %" if compared else ""
    spread = f"{min(lost):.1f} to {max(lost):.1f}" if compared else ""
    best_lost = f"{100 * (1 - max(rates) / best_base):.1f} %" if compared else ""
    print(f"{label:<44} {statistics.median(rates):>10.0f} {median_lost:>7} {spread:>15} {max(rates):>9.0f} {best_lost:>7} {statistics.median(cpu):>11.2f}")
PY
