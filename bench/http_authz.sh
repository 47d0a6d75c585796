#!/usr/bin/env bash
# HTTP authz throughput against the baseline in one run (A-B-A, repeated): Tollgate's nginx
# auth_request endpoint deciding a valid demo key, and nginx answering `return 200` (1 worker,
# access log off), both driven by wrk with keep-alive from the other core.
#
#   bench/http_authz.sh [BUILD_DIR] [SECONDS] [ROUNDS]
#
# Prints requests/s per run and the ratio Tollgate / nginx of the medians. Loopback only; stops
# by itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
SECS="${2:-5}"
ROUNDS="${3:-3}"
BIN="$BUILD/src/cli/tollgate"
WORK="$(mktemp -d)"
chmod 755 "$WORK"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP=$(free_port); GRPC=$(free_port); AUTHZ=$(free_port); NGX=$(free_port)

# Tollgate on core 0 (1 I/O thread so that it competes with nginx's single worker fairly).
TOLLGATE_ADMIN_PASSWORD=bench taskset -c 0 "$BIN" serve --demo --data "$WORK/data" --listen 127.0.0.1 \
  --http-port "$HTTP" --grpc-port "$GRPC" --authz-port "$AUTHZ" --threads 1 >"$WORK/tg.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$HTTP/healthz" 2>/dev/null && break; sleep 0.1; done
KEY=$(grep -o 'demo api key: tg_[^ ]*' "$WORK/tg.log" | sed 's/demo api key: //')

mkdir -p "$WORK/nginx/tmp"
USER_LINE=""; [[ "$(id -u)" -eq 0 ]] && USER_LINE="user root;"
cat >"$WORK/nginx/nginx.conf" <<CONF
$USER_LINE
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log stderr error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp;
  server { listen 127.0.0.1:$NGX; location / { return 200; } }
}
CONF
taskset -c 0 nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
PIDS+=($!)
sleep 0.5

run() {  # $1 url, rest: extra wrk args → requests/s
  taskset -c 1 wrk -t1 -c32 -d"${SECS}s" "$@" 2>/dev/null | awk '/Requests\/sec/ {print int($2)}'
}
tg() {
  run "http://127.0.0.1:$AUTHZ/_tollgate/nginx" -H "X-Original-URI: /petstore/v1/pets/7" \
    -H 'X-Original-Method: GET' -H "apikey: $KEY" -H 'User-Agent: bench' -H 'Accept: */*'
}
base() { run "http://127.0.0.1:$NGX/"; }

declare -a T B
for r in $(seq "$ROUNDS"); do
  B+=("$(base)"); T+=("$(tg)"); B+=("$(base)")
  echo "round $r: nginx ${B[-2]} / tollgate ${T[-1]} / nginx ${B[-1]} req/s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
MT=$(median "${T[@]}"); MB=$(median "${B[@]}")
echo "median: tollgate $MT req/s, nginx return 200 $MB req/s, ratio $(awk -v t="$MT" -v b="$MB" 'BEGIN {printf "%.2f", t/b}')"
