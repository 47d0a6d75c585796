#!/usr/bin/env bash
# HTTP authz throughput against the baseline in one run (A-B-A, repeated): Tollgate's nginx
# auth_request endpoint deciding a valid demo key, and nginx answering `return 200` (1 worker,
# access log off), both driven by wrk with keep-alive from the other core.
#
#   bench/http_authz.sh [BUILD_DIR] [SECONDS] [ROUNDS] [WORKERS]
#
# WORKERS (default 1): nginx worker_processes and Tollgate --threads, equal. With 1, both servers
# run on core 0 and wrk on core 1; with more, servers and wrk share both cores (taskset 0,1).
#
# Prints requests/s per run and the ratio Tollgate / nginx of the medians. Loopback only; stops
# by itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
SECS="${2:-5}"
ROUNDS="${3:-3}"
WORKERS="${4:-1}"
SERVER_CPUS=0; WRK_CPUS=1
if [[ "$WORKERS" -gt 1 ]]; then SERVER_CPUS=0,1; WRK_CPUS=0,1; fi
BIN="$BUILD/src/cli/tollgate"
source "$ROOT/bench/lib.sh"
chmod 755 "$WORK"
HTTP=$(free_port); GRPC=$(free_port); AUTHZ=$(free_port); NGX=$(free_port)

# Tollgate with as many I/O threads as nginx has workers.
TOLLGATE_ADMIN_PASSWORD=bench taskset -c "$SERVER_CPUS" "$BIN" serve --demo --data "$WORK/data" --listen 127.0.0.1 \
  --http-port "$HTTP" --grpc-port "$GRPC" --authz-port "$AUTHZ" --threads "$WORKERS" >"$WORK/tg.log" 2>&1 &
TG_PID=$!; PIDS+=($TG_PID)
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$HTTP/healthz" 2>/dev/null && break; sleep 0.1; done
KEY=$(grep -o 'demo api key: tg_[^ ]*' "$WORK/tg.log" | sed 's/demo api key: //')

mkdir -p "$WORK/nginx/tmp"
USER_LINE=""; [[ "$(id -u)" -eq 0 ]] && USER_LINE="user root;"
cat >"$WORK/nginx/nginx.conf" <<CONF
$USER_LINE
worker_processes $WORKERS;
pid $WORK/nginx/nginx.pid;
error_log stderr error;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp;
  server { listen 127.0.0.1:$NGX; location / { return 200; } }
}
CONF
taskset -c "$SERVER_CPUS" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' &
NGX_PID=$!; PIDS+=($NGX_PID)
sleep 0.5

ngx_pids() { echo "$NGX_PID" $(pgrep -P "$NGX_PID"); }
run() {  # $1 pids (quoted list), $2 url, rest: extra wrk args → "<req/s> <CPU µs per request>"
  local pids=$1; shift
  local before after out
  before=$(cpu_ms $pids)
  out=$(taskset -c "$WRK_CPUS" wrk -t1 -c32 -d"${SECS}s" "$@" 2>/dev/null)
  after=$(cpu_ms $pids)
  awk -v b="$before" -v a="$after" '/requests in/ {n=$1} /Requests\/sec/ {r=int($2)}
    END {printf "%d %.1f\n", r, (n > 0 ? (a - b) * 1000 / n : 0)}' <<<"$out"
}
tg() {
  run "$TG_PID" "http://127.0.0.1:$AUTHZ/_tollgate/nginx" -H "X-Original-URI: /petstore/v1/pets/7" \
    -H 'X-Original-Method: GET' -H "apikey: $KEY" -H 'User-Agent: bench' -H 'Accept: */*'
}
base() { run "$(ngx_pids)" "http://127.0.0.1:$NGX/"; }

declare -a T B R C
for r in $(seq "$ROUNDS"); do
  read -r b1 bc1 < <(base); read -r t1 tc1 < <(tg); read -r b2 bc2 < <(base)
  B+=("$b1" "$b2"); T+=("$t1")
  R+=("$(awk -v t="$t1" -v a="$b1" -v b="$b2" 'BEGIN {printf "%.3f", 2 * t / (a + b)}')")
  C+=("$(awk -v t="$tc1" -v a="$bc1" -v b="$bc2" 'BEGIN {printf "%.3f", (a + b) / 2 / t}')")
  echo "round $r: nginx $b1 (${bc1} µs CPU/req) / tollgate $t1 (${tc1} µs CPU/req) / nginx $b2 (${bc2} µs CPU/req) req/s"
done
MT=$(median "${T[@]}"); MB=$(median "${B[@]}")
echo "median: tollgate $MT req/s, nginx return 200 $MB req/s, ratio $(awk -v t="$MT" -v b="$MB" 'BEGIN {printf "%.2f", t/b}')"
echo "per-round ratio to the mean of its neighbours: ${R[*]} → median $(median "${R[@]}"); CPU-efficiency ratio (baseline CPU per request / Tollgate's): ${C[*]} → median $(median "${C[@]}")"
