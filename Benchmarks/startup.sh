#!/usr/bin/env bash
# Start-up cost of running a program under otel-instrument, with its peer
# OpenTelemetry Python's opentelemetry-instrument (pip opentelemetry-distro)
# measured in the same run (docs/performance.md). Needs hyperfine.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
(cd "$root" && make >/dev/null)
bin="$root/.build/release"
hyperfine -N --warmup 20 --runs 300 \
    '/bin/true' \
    "$bin/otel-instrument --traces_exporter none -- /bin/true" \
    "$bin/otel-instrument --version"
hyperfine -N --warmup 3 --runs 20 \
    'python3 -c pass' \
    'opentelemetry-instrument --traces_exporter none --metrics_exporter none --logs_exporter none python3 -c pass'
echo "peak RSS (KB):"
for command in /bin/true "$bin/otel-instrument --traces_exporter none -- /bin/true"; do
    /usr/bin/time -f "%M  $command" $command
done
