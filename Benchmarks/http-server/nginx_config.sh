# Sourced by common.sh and instructions.sh: free loopback ports and the nginx
# configurations the benchmarks run (one process, access log off, temporary
# files in $work, which the sourcing script sets).
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
