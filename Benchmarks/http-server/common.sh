# Sourced by run.sh and at_once.sh: a work directory, nginx configurations
# for the measured site (a 612-byte static file) and for the receiver of the
# OTLP exports (a second nginx answering 200), CPU pinning (measured nginx on
# CPU 1, wrk and the receiver on CPU 0), and the configurations compared.
# Needs nginx and wrk (apt-get).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
chmod 755 "$work"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$root" && make >/dev/null)
mkdir -p "$work/www"
head -c 612 /dev/zero | tr '\0' 'x' > "$work/www/index.html" # nginx's own welcome page is 612 bytes

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Writes $work/NAME.conf: one nginx process listening on PORT with the given server block body.
config() { # name, port, server block body
    cat > "$work/$1.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $work/$1.pid;
error_log $work/$1.error.log;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $work/$1.body;
    client_max_body_size 64m;
    proxy_temp_path $work/$1.proxy;
    fastcgi_temp_path $work/$1.fastcgi;
    uwsgi_temp_path $work/$1.uwsgi;
    scgi_temp_path $work/$1.scgi;
    server { listen 127.0.0.1:$2; $3 }
}
CONF
}
sink_port="$(free_port)"
config sink "$sink_port" "location / { return 200; }"
if [ "$(nproc)" -ge 2 ]; then server_cpu=(taskset -c 1); client_cpu=(taskset -c 0); else server_cpu=(); client_cpu=(); fi
"${client_cpu[@]}" /usr/sbin/nginx -c "$work/sink.conf" -e "$work/sink.error.log" &

wait_for() { for _ in $(seq 100); do (echo > /dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.05; done; }

cc -O2 -shared -fPIC -o "$work/sleeping_thread.so" "$root/Benchmarks/http-server/sleeping_thread.c" -lpthread
instrument=("$root/.build/release/otel-instrument" --exporter_otlp_endpoint "http://127.0.0.1:$sink_port" --metrics_exporter otlp --logs_exporter none)
# Sets `label` and `prefix` (the command nginx runs under) for a configuration.
choose_configuration() {
    case "$1" in
    uninstrumented) label="uninstrumented"; prefix=(env) ;;
    thread) label="a sleeping thread preloaded (peer)"; prefix=(env LD_PRELOAD="$work/sleeping_thread.so") ;;
    ownthread) label="a sleeping thread with its own descriptors (peer)"
               prefix=(env SLEEPING_THREAD_OWN_DESCRIPTORS=1 LD_PRELOAD="$work/sleeping_thread.so") ;;
    loaded) label="otel-instrument, HTTP server instrumentation disabled"
            prefix=(env OTEL_NATIVE_DISABLED_INSTRUMENTATIONS=http_server "$root/.build/release/otel-instrument"
                    --traces_exporter none --metrics_exporter none --logs_exporter none --) ;;
    unsampled) label="HTTP server instrumentation, no span sampled, no metric"
               prefix=("$root/.build/release/otel-instrument" --traces_exporter none --metrics_exporter none --logs_exporter none
                       --traces_sampler always_off --) ;;
    metric) label="no span sampled, duration metric exported"; prefix=("${instrument[@]}" --traces_exporter none --traces_sampler always_off --) ;;
    sampled) label="OTLP export, 1 % sampled"
             prefix=("${instrument[@]}" --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.01 --) ;;
    shared) label="1 % sampled, one shared descriptor table"
            prefix=(env OTEL_NATIVE_EXPORT_OWN_DESCRIPTORS=false "${instrument[@]}" --traces_sampler parentbased_traceidratio --traces_sampler_arg 0.01 --) ;;
    instrumented) label="OTLP export, every request sampled"; prefix=("${instrument[@]}" --) ;;
    bare) label="every request sampled, no exporter"
          prefix=("$root/.build/release/otel-instrument" --traces_exporter none --metrics_exporter none --logs_exporter none --) ;;
    *) echo "unknown configuration $1" >&2; exit 2 ;;
    esac
}
uname -srm; nproc; date -u; /usr/sbin/nginx -v 2>&1; { wrk --version 2>&1 || true; } | head -1
