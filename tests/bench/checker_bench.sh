#!/usr/bin/env bash
# The checker benchmark, run by `scripts/bench checker [SECONDS] [ROUNDS]`: one
# local nginx (config in a temp dir, `return 200`), measured in the same run by
#   - wrk -c 64 -t 2 -H 'Connection: close'   (new-connection rate of loopback)
#   - Prometheus blackbox_exporter, /probe?module=http_2xx driven by wrk -c 64
#   - our checker (tests/bench/checker_bench rate), 64 checks in flight on 2
#     threads with a checker each (as wrk -t 2)
# alternating for ROUNDS rounds (the machine may be shared: the best round of
# each is compared), then peak RSS with 10,000 checks in flight against a slow
# target.
# Usage: checker_bench.sh PATH/TO/checker_bench [SECONDS=5] [ROUNDS=3]
set -euo pipefail
bench=$1
secs=${2:-5}
rounds=${3:-3}
for tool in nginx wrk prometheus-blackbox-exporter; do
    command -v "$tool" >/dev/null || { echo "checker bench: $tool missing (scripts/install-deps)" >&2; exit 1; }
done

tmp=$(mktemp -d)
bb_pid=
cleanup() {
    [ -n "$bb_pid" ] && kill "$bb_pid" 2>/dev/null || true
    [ -f "$tmp/nginx.pid" ] && kill "$(cat "$tmp/nginx.pid")" 2>/dev/null || true
    sleep 0.3
    rm -rf "$tmp"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
max() { awk -v a="$1" -v b="$2" 'BEGIN {print (b > a) ? b : a}'; }
greater() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(b > a)}'; }

ngport=$(free_port)
mkdir -p "$tmp/temp"
cat >"$tmp/nginx.conf" <<EOF
worker_processes 2;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
worker_rlimit_nofile 20000;
events { worker_connections 16384; multi_accept on; }
http {
    access_log off;
    client_body_temp_path $tmp/temp/body;
    proxy_temp_path $tmp/temp/proxy;
    fastcgi_temp_path $tmp/temp/fastcgi;
    server {
        listen 127.0.0.1:$ngport backlog=4096;
        location / { return 200 "ok\n"; }
    }
}
EOF
nginx -p "$tmp" -c "$tmp/nginx.conf" -e "$tmp/error.log"
target=http://127.0.0.1:$ngport/
for _ in $(seq 50); do curl -fs "$target" >/dev/null && break; sleep 0.1; done

bbport=$(free_port)
cat >"$tmp/blackbox.yml" <<EOF
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
EOF
prometheus-blackbox-exporter --config.file="$tmp/blackbox.yml" --web.listen-address="127.0.0.1:$bbport" \
    --log.level=error >"$tmp/blackbox.log" 2>&1 &
bb_pid=$!
probe="http://127.0.0.1:$bbport/probe?target=$target&module=http_2xx"
for _ in $(seq 50); do curl -fs "$probe" 2>/dev/null | grep -q '^probe_success 1' && break; sleep 0.1; done
curl -fs "$probe" | grep -q '^probe_success 1' || { echo "blackbox_exporter probe failed" >&2; exit 1; }
hz=$(getconf CLK_TCK)

echo "-- $rounds rounds of ${secs}s each: wrk -c 64 -t 2 -H 'Connection: close' $target;"
echo "   blackbox_exporter $(prometheus-blackbox-exporter --version 2>&1 | head -n 1 | awk '{print $3}')" \
     "driven by wrk -c 64 -t 2 on /probe; checker with 64 checks in flight on 2 threads (a checker each)"
wrk_rps=0 bb_rps=0 bb_cpu=0 best=0 best_cpu=0
for round in $(seq "$rounds"); do
    w=$(wrk -c 64 -t 2 -d "${secs}s" -H 'Connection: close' "$target" | awk '/Requests\/sec/ {print $2}')
    ticks0=$(cpu_ticks "$bb_pid")
    b=$(wrk -c 64 -t 2 -d "${secs}s" "$probe" | awk '/Requests\/sec/ {print $2}')
    ticks1=$(cpu_ticks "$bb_pid")
    bc=$(awk -v t=$((ticks1 - ticks0)) -v hz="$hz" -v r="$b" -v s="$secs" \
        'BEGIN {printf "%.1f", t / hz * 1e6 / (r * s)}')
    out=$("$bench" rate "$target" "$secs" 64 2)
    c=$(echo "$out" | awk '/^checker checks\/s:/ {print $3}')
    cc=$(echo "$out" | awk '/^checker cpu us\/check:/ {print $4}')
    echo "round $round: wrk close $w req/s | blackbox_exporter $b probes/s ($bc us CPU/probe) |" \
         "$(echo "$out" | head -n 1)"
    wrk_rps=$(max "$wrk_rps" "$w")
    if greater "$bb_rps" "$b"; then bb_rps=$b bb_cpu=$bc; fi
    if greater "$best" "$c"; then best=$c best_cpu=$cc; fi
done
kill "$bb_pid"
wait "$bb_pid" 2>/dev/null || true
bb_pid=
echo "best rounds: wrk close $wrk_rps req/s; blackbox_exporter $bb_rps probes/s ($bb_cpu us CPU/probe);" \
     "checker $best checks/s ($best_cpu us CPU/check)"

echo "-- checker: 10,000 checks in flight against a slow target"
"$bench" inflight 10000 5000

echo "-- ratios"
awk -v c="$best" -v w="$wrk_rps" 'BEGIN {printf "checker vs wrk close: %.2f x\n", c / w}'
awk -v c="$best" -v b="$bb_rps" 'BEGIN {printf "checker vs blackbox_exporter: %.1f x\n", c / b}'
awk -v c="$best_cpu" -v b="$bb_cpu" 'BEGIN {printf "checker cpu per check vs blackbox_exporter: %.2f x\n", c / b}'
