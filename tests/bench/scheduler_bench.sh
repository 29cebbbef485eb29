#!/usr/bin/env bash
# The scheduler benchmark, run by `scripts/bench scheduler [--seconds S] [--endpoints N]
# [--interval S] [--replicas R]`: a local nginx (config in a temp dir, `return 200`) is the
# target of every endpoint; tests/bench/scheduler_bench does the rest against the private
# PostgreSQL that scripts/bench started.
# Usage: scheduler_bench.sh PATH/TO/scheduler_bench DATABASE_URL [options...]
set -euo pipefail
bench=$1
url=$2
shift 2
command -v nginx >/dev/null || { echo "scheduler bench: nginx missing (scripts/install-deps)" >&2; exit 1; }

tmp=$(mktemp -d)
cleanup() {
    [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
    sleep 0.3
    rm -rf "$tmp"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$tmp/temp"
cat >"$tmp/nginx.conf" <<CONF
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $tmp/temp/body;
    proxy_temp_path $tmp/temp/proxy;
    fastcgi_temp_path $tmp/temp/fastcgi;
    server {
        listen 127.0.0.1:$port backlog=4096;
        location / { return 200 "ok\n"; }
    }
}
CONF
nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log"
target=http://127.0.0.1:$port/
for _ in $(seq 50); do curl -fs "$target" >/dev/null && break; sleep 0.1; done
"$bench" "$url" "$target" "$@"
