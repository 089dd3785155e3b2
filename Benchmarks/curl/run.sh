#!/usr/bin/env bash
# The libcurl instrumentation's cost per transfer (docs/performance.md): 20 000
# keep-alive transfers of a small file from a local nginx through one easy
# handle, best of 5, uninstrumented and under otel-instrument (span not
# sampled; sampled, no exporter; sampled and exported over OTLP to a sink).
# Needs nginx and the libcurl runtime (apt-get).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
chmod 755 "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$root" && make >/dev/null)
cc -O2 -o "$work/transfers" "$here/transfers.c" -l:libcurl.so.4
mkdir -p "$work/www"
head -c 612 /dev/zero | tr '\0' 'x' > "$work/www/index.html"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat > "$work/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    fastcgi_temp_path $work/fastcgi;
    uwsgi_temp_path $work/uwsgi;
    scgi_temp_path $work/scgi;
    server { listen 127.0.0.1:$port; root $work/www; location /v1/ { return 200; } }
}
CONF
/usr/sbin/nginx -c "$work/nginx.conf" -e "$work/error.log" &
for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
url="http://127.0.0.1:$port/index.html"
otel=("$root/.build/release/otel-instrument" --metrics_exporter none --logs_exporter none)
uname -srm; nproc; date -u
echo "uninstrumented:              $("$work/transfers" "$url" 20000)"
echo "span not sampled:            $("${otel[@]}" --traces_sampler always_off -- "$work/transfers" "$url" 20000)"
echo "sampled, no exporter:        $("${otel[@]}" --traces_exporter none -- "$work/transfers" "$url" 20000)"
echo "sampled, OTLP export:        $("${otel[@]}" --exporter_otlp_endpoint "http://127.0.0.1:$port" -- "$work/transfers" "$url" 20000)"
