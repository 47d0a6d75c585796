#!/usr/bin/env bash
# End-to-end throughput of the HTTP authz listener with rate-limit counters in process
# (`--counters memory`) against counters shared through Redis (`--counters redis://…`), in one
# run (A-B-A: memory, redis, memory; repeated).
#
#   bench/counters_authz.sh [BUILD_DIR] [SECONDS] [ROUNDS] [KEYS]
#
# KEYS (default 10000) callers, each its own application on plan "BenchApp" (rate) subscribed to
# the demo API on plan "Bench" (rate + monthly quota): three counters per key, the enforcer's full
# set, limits never reached. wrk (-t1 -c32, keep-alive, on core 1) sends `/_tollgate/nginx` with
# the keys in turn (round robin, so every key is used at the same rate); both Tollgate servers
# (`--threads 1`) and the redis-server this script starts are pinned to core 0. Both servers
# share one SQLite data folder (the keys are created once, through the memory server's REST API).
# Creating keys slows as their number grows (3 REST calls per key, each a change the snapshot
# follows): on the shared VM 300 keys took 5 s, 1000 keys 66 s, 3000 keys ≈ 6 min.
#
# Prints per run requests/s and CPU µs per request (utime+stime of the server, plus redis-server
# for the Redis runs), the per-round ratios Redis / mean of the two memory runs, and medians.
# Loopback only; stops by itself.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
SECS="${2:-5}"
ROUNDS="${3:-3}"
KEYS="${4:-10000}"
BIN="$BUILD/src/cli/tollgate"
source "$ROOT/bench/lib.sh"

RP=$(free_port)
mkdir -p "$WORK/redis"
taskset -c 0 redis-server --port "$RP" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK/redis" \
  --loglevel warning >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!; PIDS+=($REDIS_PID)
for _ in $(seq 100); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.1; done

# $1 name, $2 counters URL, rest: extra flags. Sets ${name}_PID, ${name}_HTTP, ${name}_AUTHZ.
start() {
  local name=$1 counters=$2; shift 2
  local http grpc authz
  http=$(free_port); grpc=$(free_port); authz=$(free_port)
  TOLLGATE_ADMIN_PASSWORD=bench taskset -c 0 "$BIN" serve --data "$WORK/data" --listen 127.0.0.1 \
    --http-port "$http" --grpc-port "$grpc" --authz-port "$authz" --threads 1 --counters "$counters" \
    "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  printf -v "${name}_PID" %s $!; printf -v "${name}_HTTP" %s "$http"; printf -v "${name}_AUTHZ" %s "$authz"
  wait_http "http://127.0.0.1:$http/healthz"
}

start MEM memory --demo
T0=$(date +%s.%N)
node "$ROOT/bench/counters_authz_keys.mjs" "http://127.0.0.1:$MEM_HTTP" bench "$KEYS" >"$WORK/keys.txt"
echo "created $KEYS keys in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s" >&2
start RED "redis://127.0.0.1:$RP"

LAST=$(tail -n1 "$WORK/keys.txt")
authz_status() {  # $1 authz port, $2 key
  curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/_tollgate/nginx" \
    -H 'X-Original-URI: /petstore/v1/pets/7' -H 'X-Original-Method: GET' -H "apikey: $2"
}
for port in "$MEM_AUTHZ" "$RED_AUTHZ"; do  # both snapshots know every key
  for _ in $(seq 300); do [[ "$(authz_status "$port" "$LAST")" == 200 ]] && break; sleep 0.1; done
  [[ "$(authz_status "$port" "$LAST")" == 200 ]] || { echo "key not accepted on :$port" >&2; exit 1; }
done

cat >"$WORK/keys.lua" <<'LUA'
local reqs, i = {}, 0
function init(args)
  for key in io.lines(args[1]) do
    reqs[#reqs + 1] = wrk.format("GET", "/_tollgate/nginx", {
      ["X-Original-URI"] = "/petstore/v1/pets/7", ["X-Original-Method"] = "GET",
      ["apikey"] = key, ["User-Agent"] = "bench", ["Accept"] = "*/*" })
  end
end
function request() i = i % #reqs + 1; return reqs[i] end
LUA

run() {  # $1 authz port, $2 seconds, rest: pids → "<req/s> <CPU µs per request> <non-2xx>"
  local port=$1 secs=$2; shift 2
  local before after out
  before=$(cpu_ms "$@")
  out=$(taskset -c 1 wrk -t1 -c32 -d"${secs}s" -s "$WORK/keys.lua" "http://127.0.0.1:$port/_tollgate/nginx" \
    -- "$WORK/keys.txt" 2>/dev/null)
  after=$(cpu_ms "$@")
  awk -v b="$before" -v a="$after" '/requests in/ {n=$1} /Requests\/sec/ {r=int($2)} /Non-2xx/ {bad=$NF}
    END {printf "%d %.1f %d\n", r, (n > 0 ? (a - b) * 1000 / n : 0), bad}' <<<"$out"
}
mem() { run "$MEM_AUTHZ" "$1" "$MEM_PID"; }
red() { run "$RED_AUTHZ" "$1" "$RED_PID" "$REDIS_PID"; }

mem 2 >/dev/null; red 2 >/dev/null  # warm-up: every key's counters exist (and are leased)
echo "keys $KEYS, ${SECS}s per run, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
declare -a M R TR CR RC MC
for r in $(seq "$ROUNDS"); do
  read -r m1 mc1 mb1 < <(mem "$SECS"); read -r r1 rc1 rb1 < <(red "$SECS"); read -r m2 mc2 mb2 < <(mem "$SECS")
  M+=("$m1" "$m2"); R+=("$r1"); MC+=("$mc1" "$mc2"); RC+=("$rc1")
  TR+=("$(awk -v t="$r1" -v a="$m1" -v b="$m2" 'BEGIN {printf "%.3f", 2 * t / (a + b)}')")
  CR+=("$(awk -v t="$rc1" -v a="$mc1" -v b="$mc2" 'BEGIN {printf "%.3f", (a + b) / 2 / t}')")
  echo "round $r: memory $m1 (${mc1} µs CPU/req) / redis $r1 (${rc1} µs CPU/req incl. redis-server) /" \
    "memory $m2 (${mc2} µs CPU/req) req/s; non-2xx ${mb1:-0}/${rb1:-0}/${mb2:-0}; load $(cut -d' ' -f1 /proc/loadavg)"
done
echo "median: memory $(median "${M[@]}") req/s (${MC[*]:+$(median "${MC[@]}")} µs CPU/req)," \
  "redis $(median "${R[@]}") req/s ($(median "${RC[@]}") µs CPU/req)"
echo "per-round throughput ratio redis / mean of neighbouring memory runs: ${TR[*]} → median $(median "${TR[@]}")"
echo "per-round CPU-efficiency ratio (memory CPU per request / redis'): ${CR[*]} → median $(median "${CR[@]}")"
echo "redis-server over the whole script (keys, warm-up, runs): $(redis-cli -p "$RP" info stats | grep -E 'total_commands_processed' | tr -d '\r')"
