#!/usr/bin/env bash
# Runs otel-bench and its two peers back to back on this machine, so the
# figures in docs/performance.md come from one run:
#   otel-native (otel-bench), swift-otel 1.6.0 (swift-otel-peer, this package),
#   swift-protobuf 1.39.0 on the OTLP encoding (otlp-protobuf-peer, this package),
#   OpenTelemetry Python (opentelemetry_python_peer.py, pip opentelemetry-sdk).
# The first run builds swift-otel in release mode (about 6 minutes on 2 cores).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
(cd "$root" && swift build -c release --product otel-bench >/dev/null)
(cd "$here" && swift build -c release --build-path "$root/.build-bench" >/dev/null)
uname -srm; nproc; date -u
"$root/.build/release/otel-bench"
echo
"$root/.build-bench/release/swift-otel-peer"
echo
"$root/.build-bench/release/otlp-protobuf-peer"
echo
python3 "$here/opentelemetry_python_peer.py"
