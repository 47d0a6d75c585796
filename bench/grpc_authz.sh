#!/usr/bin/env bash
# gRPC Check throughput against the baseline in one run (A-B-A, repeated): Tollgate's ext_authz
# deciding a valid demo key, and an empty Check handler built with the same gRPC library and
# server settings (bench/empty_authz_server.cc), both on core 0, driven by bench/grpc_load.cc on
# core 1. Then latency percentiles in open loop at half of each one's peak.
#
#   bench/grpc_authz.sh [BUILD_DIR] [SECONDS] [ROUNDS] [INFLIGHT] [CHANNELS]
#
# Prints one line per run and the ratio Tollgate / empty handler of the medians.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
SECS="${2:-5}"
ROUNDS="${3:-3}"
INFLIGHT="${4:-64}"
CHANNELS="${5:-2}"
BIN="$BUILD/src/cli/tollgate"
LOAD="$BUILD/bench/grpc_load"
EMPTY="$BUILD/bench/empty_authz_server"
source "$ROOT/bench/lib.sh"
start_grpc_servers

# $1 port, $2 pid, rest: extra grpc_load flags → "<calls/s> <p99 µs> <cpu µs per call>"
run() {
  local port=$1 pid=$2; shift 2
  local before after out calls
  before=$(cpu_ms "$pid")
  out=$(taskset -c 1 "$LOAD" --target "127.0.0.1:$port" --channels "$CHANNELS" --inflight "$INFLIGHT" \
    --seconds "$SECS" --warmup 1 --key "$KEY" "$@")
  after=$(cpu_ms "$pid")
  echo "$out" >&2
  calls=$(sed -n 's/.*calls=\([0-9]*\).*/\1/p' <<<"$out")
  awk -v o="$out" -v b="$before" -v a="$after" -v c="$calls" -v s="$SECS" 'BEGIN {
    match(o, /rps=[0-9]+/); r = substr(o, RSTART + 4, RLENGTH - 4);
    match(o, /p99_us=[0-9-]+/); p = substr(o, RSTART + 7, RLENGTH - 7);
    printf "%s %s %.1f\n", r, p, (c > 0 ? (a - b) * 1000 / c * 1 : 0) }'
}
tg() { run "$GRPC" "$TG_PID" "$@"; }
base() { run "$EMPTY_PORT" "$EMPTY_PID" "$@"; }

tg >/dev/null 2>&1; base >/dev/null 2>&1  # warm both up
declare -a T B R C
for r in $(seq "$ROUNDS"); do
  read -r b1 _ bc1 < <(base 2>/dev/null); read -r t1 _ tc1 < <(tg 2>/dev/null); read -r b2 _ bc2 < <(base 2>/dev/null)
  B+=("$b1" "$b2"); T+=("$t1")
  R+=("$(awk -v t="$t1" -v a="$b1" -v b="$b2" 'BEGIN {printf "%.3f", 2 * t / (a + b)}')")
  C+=("$(awk -v t="$tc1" -v a="$bc1" -v b="$bc2" 'BEGIN {printf "%.3f", (a + b) / 2 / t}')")
  echo "round $r: empty $b1 (${bc1} µs CPU/call) / tollgate $t1 (${tc1} µs CPU/call) / empty $b2 (${bc2} µs CPU/call) calls/s"
done
MT=$(median "${T[@]}"); MB=$(median "${B[@]}")
echo "median: tollgate $MT calls/s, empty handler $MB calls/s, ratio $(awk -v t="$MT" -v b="$MB" 'BEGIN {printf "%.2f", t/b}')"
echo "per-round ratio to the mean of its neighbours: ${R[*]} → median $(median "${R[@]}"); CPU-efficiency ratio (baseline CPU per request / Tollgate's): ${C[*]} → median $(median "${C[@]}")"

# Open loop at half of each one's measured peak: latency percentiles.
HT=$((MT / 2)); HB=$((MB / 2))
echo "open loop at half of peak (tollgate $HT/s, empty $HB/s), inflight cap $((INFLIGHT * 4)):"
echo "  empty:    $(taskset -c 1 "$LOAD" --target "127.0.0.1:$EMPTY_PORT" --channels "$CHANNELS" --inflight $((INFLIGHT * 4)) --seconds "$SECS" --rate "$HB" --key "$KEY")"
echo "  tollgate: $(taskset -c 1 "$LOAD" --target "127.0.0.1:$GRPC" --channels "$CHANNELS" --inflight $((INFLIGHT * 4)) --seconds "$SECS" --rate "$HT" --key "$KEY")"
echo "  tollgate at the empty handler's half rate: $(taskset -c 1 "$LOAD" --target "127.0.0.1:$GRPC" --channels "$CHANNELS" --inflight $((INFLIGHT * 4)) --seconds "$SECS" --rate "$HB" --key "$KEY")"
# Latency against offered rate, to tell the server's queueing from the generator's own (its CPU
# share is printed: near 100 % the generator, not the server, sets the latencies).
for rate in 1000 2000 4000; do
  echo "  tollgate at $rate/s: $(taskset -c 1 "$LOAD" --target "127.0.0.1:$GRPC" --channels "$CHANNELS" --inflight $((INFLIGHT * 4)) --seconds "$SECS" --rate "$rate" --key "$KEY")"
  echo "  empty at $rate/s:    $(taskset -c 1 "$LOAD" --target "127.0.0.1:$EMPTY_PORT" --channels "$CHANNELS" --inflight $((INFLIGHT * 4)) --seconds "$SECS" --rate "$rate" --key "$KEY")"
done
