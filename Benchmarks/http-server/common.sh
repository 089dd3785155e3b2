# Sourced by run.sh, at_once.sh and two_builds.sh: a work directory, nginx configurations
# for the measured site (a 612-byte static file) and for the receiver of the
# OTLP exports (a second nginx answering 200), CPU pinning (measured nginx on
# CPU 1, wrk and the receiver on CPU 0), and the configurations compared.
# RECEIVER_CPU=1 puts the receiver on the measured nginx's CPU instead: the
# exports then take CPU from nginx rather than from wrk (which, short of CPU,
# lets nginx idle between requests and pay a wake-up for more of them).
# Needs nginx and wrk (apt-get).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
chmod 755 "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$root" && make >/dev/null)
mkdir -p "$work/www"
head -c 612 /dev/zero | tr '\0' 'x' > "$work/www/index.html" # nginx's own welcome page is 612 bytes

source "$(dirname "${BASH_SOURCE[0]}")/nginx_config.sh"
sink_port="$(free_port)"
config sink "$sink_port" "location / { return 200; }"
if [ "$(nproc)" -ge 2 ]; then server_cpu=(taskset -c 1); client_cpu=(taskset -c 0); else server_cpu=(); client_cpu=(); fi
receiver_cpu=("${client_cpu[@]}")
[ "${RECEIVER_CPU:-0}" = 1 ] && receiver_cpu=("${server_cpu[@]}")
"${receiver_cpu[@]}" /usr/sbin/nginx -c "$work/sink.conf" -e "$work/sink.error.log" &

wait_for() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.05; done; }
# CPU time of a process, all its threads, in nanoseconds.
runtime_ns() { cat /proc/"$1"/task/*/schedstat | awk '{sum += $1} END {printf "%.0f", sum}'; }
# The same of its threads other than its first (for nginx: ours, the export threads).
other_threads_ns() { for task in /proc/"$1"/task/*; do [ "${task##*/}" = "$1" ] || cat "$task/schedstat"; done | awk '{sum += $1} END {printf "%.0f", sum}'; }
# Two sites for servers measured at once (at_once.sh, two_builds.sh):
# $work/first.conf and $work/second.conf, listening on ports[0] and ports[1].
configure_pair() {
    ports=("$(free_port)" "$(free_port)")
    config first "${ports[0]}" "root $work/www;"
    config second "${ports[1]}" "root $work/www;"
}
# Loads the pair's two servers (processes PID0 and PID1) at once, each with its
# own wrk, for 1 s and then for SECONDS; prints, of the second load, each
# one's requests and CPU nanoseconds, then the nanoseconds of each one's
# threads other than its first: "requests0 ns0 requests1 ns1 others0 others1".
measure_pair() { # pid0, pid1, seconds
    local pids=("$1" "$2") before=() after=() others_before=() others_after=() index duration wrk_pid
    wait_for "${ports[0]}"; wait_for "${ports[1]}"
    for duration in 1 "$3"; do
        for index in 0 1; do
            before[index]="$(runtime_ns "${pids[index]}")"
            others_before[index]="$(other_threads_ns "${pids[index]}")"
        done
        "${client_cpu[@]}" wrk -t1 -c16 -d"${duration}s" "http://127.0.0.1:${ports[0]}/index.html" > "$work/wrk.0" &
        wrk_pid=$!
        "${client_cpu[@]}" wrk -t1 -c16 -d"${duration}s" "http://127.0.0.1:${ports[1]}/index.html" > "$work/wrk.1"
        wait "$wrk_pid"
    done
    for index in 0 1; do
        after[index]="$(runtime_ns "${pids[index]}")"
        others_after[index]="$(other_threads_ns "${pids[index]}")"
    done
    for index in 0 1; do
        echo -n "$(awk '/requests in/ {print $1}' "$work/wrk.$index") $((after[index] - before[index])) "
    done
    echo "$((others_after[0] - others_before[0])) $((others_after[1] - others_before[1]))"
}
# The mean of the per-cent figures in the last-but-one field of FILE's lines,
# with its 95 % interval (Student's t), and their median, after TITLE.
interval_summary() { # file, title
    python3 - "$1" "$2" <<'PY'
import math, statistics, sys
values = [float(line.split()[-2]) for line in open(sys.argv[1])]
n = len(values)
# Student's t, two-sided 95 %, by degrees of freedom (2.0 beyond 30).
t = [12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.20, 2.18, 2.16, 2.14, 2.13,
     2.12, 2.11, 2.10, 2.09, 2.09, 2.08, 2.07, 2.07, 2.06, 2.06, 2.06, 2.05, 2.05, 2.05, 2.04]
half = (t[n - 2] if n - 1 <= len(t) else 2.0) * statistics.stdev(values) / math.sqrt(n) if n > 1 else float("nan")
mean = statistics.mean(values)
print(f"\n{sys.argv[2]}: mean {mean:.2f} % (95 % interval {mean - half:.2f} to {mean + half:.2f}), "
      f"median {statistics.median(values):.2f} %, over {n} runs")
PY
}

cc -O2 -shared -fPIC -o "$work/sleeping_thread.so" "$root/Benchmarks/http-server/sleeping_thread.c" -lpthread
# The checkout whose build choose_configuration runs (at_once.sh sets it to
# BASE_ROOT for its base configuration: two commits measured at once).
build_root="$root"
# Sets `label` and `prefix` (the command nginx runs under) for a configuration.
choose_configuration() {
    local instrument=("$build_root/.build/release/otel-instrument" --exporter_otlp_endpoint "http://127.0.0.1:$sink_port"
                      --metrics_exporter otlp --logs_exporter none)
    case "$1" in
    uninstrumented) label="uninstrumented"; prefix=(env) ;;
    thread) label="a sleeping thread preloaded (peer)"; prefix=(env LD_PRELOAD="$work/sleeping_thread.so") ;;
    ownthread) label="a sleeping thread with its own descriptors (peer)"
               prefix=(env SLEEPING_THREAD_OWN_DESCRIPTORS=1 LD_PRELOAD="$work/sleeping_thread.so") ;;
    loaded) label="otel-instrument, HTTP server instrumentation disabled"
            prefix=(env OTEL_NATIVE_DISABLED_INSTRUMENTATIONS=http_server "$build_root/.build/release/otel-instrument"
                    --traces_exporter none --metrics_exporter none --logs_exporter none --) ;;
    unsampled) label="HTTP server instrumentation, no span sampled, no metric"
               prefix=("$build_root/.build/release/otel-instrument" --traces_exporter none --metrics_exporter none --logs_exporter none
                       --traces_sampler always_off --) ;;
    metric) label="no span sampled, duration metric exported"; prefix=("${instrument[@]}" --traces_exporter none --traces_sampler always_off --) ;;
    sampled) label="OTLP export, 1 % sampled"
             prefix=("${instrument[@]}" --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.01 --) ;;
    nometric) label="1 % sampled, spans over OTLP, no metric"
              prefix=("${instrument[@]}" --metrics_exporter none --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.01 --) ;;
    tenth) label="OTLP export, 10 % sampled"
           prefix=("${instrument[@]}" --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.1 --) ;;
    unexported) label="1 % sampled, spans not exported (no span export thread), metric exported"
                prefix=("${instrument[@]}" --traces_exporter none --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.01 --) ;;
    nodirect) label="1 % sampled, no direct system calls"
              prefix=(env OTEL_NATIVE_DIRECT_SYSCALLS=false "${instrument[@]}" --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.01 --) ;;
    shared) label="1 % sampled, one shared descriptor table"
            prefix=(env OTEL_NATIVE_EXPORT_OWN_DESCRIPTORS=false "${instrument[@]}" --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.01 --) ;;
    instrumented) label="OTLP export, every request sampled"; prefix=("${instrument[@]}" --) ;;
    smallbatch) label="OTLP export, every request sampled, batches of 64"; prefix=(env OTEL_BSP_MAX_EXPORT_BATCH_SIZE=64 "${instrument[@]}" --) ;;
    bare) label="every request sampled, no exporter"
          prefix=("$build_root/.build/release/otel-instrument" --traces_exporter none --metrics_exporter none --logs_exporter none --) ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
    esac
}
uname -srm; nproc; date -u; /usr/sbin/nginx -v 2>&1; { wrk --version 2>&1 || true; } | head -1
