#!/usr/bin/env bash
# Instructions nginx executes in user space per request (callgrind: exact and
# repeatable, where timings on a shared 2-CPU machine are not), uninstrumented
# and under otel-instrument, and which functions the added ones are in
# (docs/performance.md). All of nginx's threads count: with every span
# exported, the export thread's work too (to a second nginx answering 200). A request is one keep-alive GET of a 612-byte file;
# the per-request figure is the difference between 1 000 and 5 000 requests,
# which removes start-up and exit. Needs nginx and valgrind (apt-get). The
# "1 % sampled" row is at_once.sh's configuration: its sampled spans are drawn
# at random, so it moves by a few tens of instructions between invocations.
#
#   Benchmarks/http-server/instructions.sh
#   SIMULATE=1 Benchmarks/http-server/instructions.sh    also callgrind's cache and branch
#       simulation: instruction-cache lines fetched (I1 misses) and branches mispredicted per request
#   TOP=40 Benchmarks/http-server/instructions.sh         the 40 functions that add most (default 12)
#   FOOTPRINT=1 Benchmarks/http-server/instructions.sh   also the code each request runs: the
#       distinct 64-byte lines holding the instructions run by (nearly) every request, by library
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
chmod 755 "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$root" && make >/dev/null && make install-files CONFIG=release PREFIX="$work/prefix" >/dev/null)
# Valgrind 3.19 cannot read the DWARF 5 that Swift writes: a copy without debug information.
strip --strip-debug "$work/prefix/lib/otel-native/"*.so
"$work/prefix/bin/otel-bootstrap" -a install /usr/sbin/nginx >/dev/null # the HTTP server instrumentation
mkdir -p "$work/www"
head -c 612 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
source "$here/nginx_config.sh"
port="$(free_port)"
sink_port="$(free_port)"
config sink "$sink_port" "location / { return 200; }"
config site "$port" "root $work/www;"
/usr/sbin/nginx -c "$work/sink.conf" -e "$work/sink.error.log" &

simulation=()
[ "${SIMULATE:-0}" = 1 ] && simulation=(--cache-sim=yes --branch-sim=yes)
[ "${FOOTPRINT:-0}" = 1 ] && simulation+=(--dump-instr=yes)
# Runs nginx under callgrind for N requests; the profile goes to $work/out.LABEL.N.
profile() { # label, requests, prefix command...
    local label="$1" requests="$2"
    shift 2
    "$@" valgrind --tool=callgrind "${simulation[@]}" --callgrind-out-file="$work/out.$label.$requests" \
        /usr/sbin/nginx -c "$work/site.conf" -e "$work/site.error.log" 2>"$work/valgrind.log" &
    local pid=$!
    for _ in $(seq 300); do (echo > /dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
    python3 - "$port" "$requests" <<'PY'
import http.client, sys
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
for _ in range(int(sys.argv[2])):
    connection.request("GET", "/index.html")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
PY
    kill -QUIT "$(cat "$work/site.pid")"
    wait "$pid" || true
}

instrument=("$work/prefix/bin/otel-instrument" --metrics_exporter otlp --logs_exporter none
            --exporter_otlp_endpoint "http://127.0.0.1:$sink_port" --)
for configuration in uninstrumented threadless unsampled benchmark sampled exported; do
    case "$configuration" in
    uninstrumented) prefix=(env) ;;
    threadless) prefix=("$work/prefix/bin/otel-instrument" --traces_exporter none --metrics_exporter none --logs_exporter none
                        --traces_sampler always_off --) ;;
    unsampled) prefix=("${instrument[@]:0:${#instrument[@]}-1}" --traces_sampler always_off --) ;;
    benchmark) prefix=("${instrument[@]:0:${#instrument[@]}-1}" --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.01 --) ;;
    sampled) prefix=("${instrument[@]:0:${#instrument[@]}-1}" --traces_exporter none --) ;;
    exported) prefix=("${instrument[@]}") ;;
    esac
    profile "$configuration" 1000 "${prefix[@]}"
    profile "$configuration" 5000 "${prefix[@]}"
done

python3 - "$work" <<'PY'
import os, re, subprocess, sys
work = sys.argv[1]
def functions(path):
    text = subprocess.run(["callgrind_annotate", "--threshold=100", path], capture_output=True, text=True).stdout
    counts = {}
    for line in text.splitlines():
        match = re.match(r"\s*([\d,]+) \(\s*[\d.]+%\)\s+(?:.*?:)?(\S+) \[(.*)\]$", line)
        if match:
            name = f"{match.group(2)} ({match.group(3).rsplit('/', 1)[-1]})"
            counts[name] = counts.get(name, 0) + int(match.group(1).replace(",", ""))
    return counts
def per_request(label):
    few, many = functions(f"{work}/out.{label}.1000"), functions(f"{work}/out.{label}.5000")
    return {name: (many.get(name, 0) - few.get(name, 0)) / 4000 for name in set(few) | set(many)}
base = per_request("uninstrumented")
print(f"{'uninstrumented':<46} {sum(base.values()):8.0f} instructions per request")
for label, title in (("threadless", "instrumented, no span sampled, no thread"), ("unsampled", "instrumented, span not sampled, metric on"),
                     ("benchmark", "1 % sampled, spans and metric exported"), ("sampled", "instrumented, every span sampled, no exporter"),
                     ("exported", "every span sampled and exported over OTLP")):
    counts = per_request(label)
    added = {name: counts.get(name, 0) - base.get(name, 0) for name in set(counts) | set(base)}
    print(f"{title:<46} {sum(counts.values()):8.0f} (+{sum(added.values()):.0f}); most added:")
    for name, count in sorted(added.items(), key=lambda item: -item[1])[:int(os.environ.get("TOP", "12"))]:
        print(f"    {count:7.0f}  {name}")
PY
[ "${FOOTPRINT:-0}" = 1 ] && python3 - "$work" <<'PY'
import collections, re, sys
work = sys.argv[1]
def instructions(path): # (object, function, address): instructions run there, from callgrind's per-instruction costs
    names, counts = {"ob": {}, "fn": {}}, collections.defaultdict(int)
    ob = fn = None; address = 0; call_cost_next = False
    def name(kind, text):
        match = re.match(r"\((\d+)\)(?: (.*))?", text)
        if not match: return text
        if match.group(2): names[kind][match.group(1)] = match.group(2)
        return names[kind].get(match.group(1), match.group(1))
    for line in open(path):
        line = line.rstrip("\n")
        for key, kind in (("ob=", "ob"), ("fn=", "fn"), ("cob=", "ob"), ("cfn=", "fn")): # a called one's names are defined too
            if line.startswith(key):
                value = name(kind, line[len(key):])
                if key == "ob=": ob = value
                elif key == "fn=": fn = value
                break
        else:
            if line.startswith("calls="): call_cost_next = True; continue # the next line is a call's cost, not an instruction's
            if not line or line[0] not in "0123456789+-*": continue
            fields = line.split(); position = fields[0]
            if position.startswith("0x"): address = int(position, 16)
            elif position[0] in "+-": # relative to the last address: decimal, or hexadecimal after 0x
                step = int(position[1:], 16) if position[1:].startswith("0x") else int(position[1:])
                address += step if position[0] == "+" else -step
            if call_cost_next: call_cost_next = False; continue
            if len(fields) >= 3: counts[(ob.rsplit("/", 1)[-1], fn, address)] += int(fields[2]) # after instr and line: Ir
    return counts
for label, title in (("uninstrumented", "uninstrumented"), ("unsampled", "span not sampled, metric on"),
                     ("sampled", "every span sampled, no exporter")):
    few, many = instructions(f"{work}/out.{label}.1000"), instructions(f"{work}/out.{label}.5000")
    lines, by_function = collections.defaultdict(set), collections.defaultdict(set)
    for key, count in many.items():
        if (count - few.get(key, 0)) / 4000 >= 0.9: # run by at least 90 % of the requests
            lines[key[0]].add(key[2] >> 6); by_function[key[:2]].add(key[2] >> 6)
    print(f"\ncode lines (and 4 KiB pages) every request runs, {title}: "
          + ", ".join(f"{o} {len(s)} ({len({line >> 6 for line in s})})" for o, s in sorted(lines.items(), key=lambda kv: -len(kv[1]))))
    ours = sorted(((len(s), f) for (o, f), s in by_function.items() if "OTel" in o), reverse=True)[:8]
    if ours: print("    ours, most:", ", ".join(f"{f[:40]} {n}" for n, f in ours))
PY
[ "${SIMULATE:-0}" = 1 ] || exit 0
python3 - "$work" <<'PY'
import re, subprocess, sys
work = sys.argv[1]
events = ("I1mr", "Bcm", "Bim")
def totals(path): # the program's instruction-cache misses and mispredicted conditional and indirect branches
    text = subprocess.run(["callgrind_annotate", "--show=" + ",".join(events), path], capture_output=True, text=True).stdout
    line = next(l for l in text.splitlines() if "PROGRAM TOTALS" in l)
    return [int(n.replace(",", "")) for n in re.findall(r"([\d,]+)(?: \([\s\d.]+%\))?", line.split("PROGRAM TOTALS")[0])]
def per_request(label):
    few, many = totals(f"{work}/out.{label}.1000"), totals(f"{work}/out.{label}.5000")
    return [(b - a) / 4000 for a, b in zip(few, many)]
base = per_request("uninstrumented")
print(f"\nper request (callgrind's simulation)        {'I1 misses':>10} {'mispredicted':>13}")
for label in ("uninstrumented", "unsampled", "sampled"):
    i1, conditional, indirect = per_request(label)
    print(f"{label:<42} {i1:10.0f} {conditional + indirect:13.0f}")
PY
