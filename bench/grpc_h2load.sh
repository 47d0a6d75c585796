#!/usr/bin/env bash
# gRPC Check latency at half of peak, driven by h2load (nghttp2-client, a C HTTP/2 client: 10-30 µs
# of CPU per call at 10k calls/s and more) instead of bench/grpc_load.cc (100-230 µs per call, which
# saturates its own core at half of the servers' peak). Same servers as bench/grpc_authz.sh: Tollgate's ext_authz
# (`serve --demo`, --threads 1) and the empty Check handler (bench/empty_authz_server.cc), both on
# core 0; h2load on core 1. A gRPC unary call is a plain HTTP/2 POST: body = the 5-byte gRPC prefix
# + a serialized CheckRequest (written by `grpc_load --dump-request`, with the demo key), headers
# content-type: application/grpc and te: trailers.
#
#   bench/grpc_h2load.sh [BUILD_DIR] [SECONDS] [ROUNDS] [CLIENTS]
#
# Per round, A-B-A: closed-loop peak of empty, Tollgate, empty (h2load -c PEAK_CLIENTS
# -m PEAK_STREAMS -D SECONDS), then open loop (--rps) at half of each one's own peak from that round:
# empty, Tollgate, empty. Every open-loop call's latency comes from h2load's --log-file (from the
# moment h2load submits the call to the end of its response); the script prints p50/p90/p99/p99.9,
# the achieved rate, the most calls in flight (must stay below connections × STREAMS, else h2load
# holds calls back and hides their wait), how bursty the arrivals were (calls started in the same
# millisecond, p50/p99 over calls), h2load's own CPU share of its core and the server's CPU per call.
# See open_loop for the two arrival modes (OPEN=spread, the default, or OPEN=burst with CLIENTS
# connections, h2load's plain --rps).
# Environment: OPEN (spread), PEAK_CLIENTS (2), PEAK_STREAMS (64), STREAMS (open loop, per
# connection: 256), WARMUP (seconds, 1), KEEP_LOGS=DIR (copy the per-call logs there),
# RATES="1000 2000 4000" (then also open loop at these fixed rates for both servers), SCHED=RATE
# (then Tollgate once more at RATE under `perf sched record -a`: run time per task on each core and
# the wake-up-to-running delays of Tollgate's threads and of h2load).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
SECS="${2:-5}"
ROUNDS="${3:-2}"
CLIENTS="${4:-2}"
PEAK_CLIENTS="${PEAK_CLIENTS:-2}"
PEAK_STREAMS="${PEAK_STREAMS:-64}"
STREAMS="${STREAMS:-256}"
WARMUP="${WARMUP:-1}"
BIN="$BUILD/src/cli/tollgate"
LOAD="$BUILD/bench/grpc_load"
EMPTY="$BUILD/bench/empty_authz_server"
CHECK_PATH=/envoy.service.auth.v3.Authorization/Check
command -v h2load >/dev/null || { echo "h2load not found (Debian: apt-get install nghttp2-client)" >&2; exit 1; }
source "$ROOT/bench/lib.sh"
start_grpc_servers

# The request body: the same CheckRequest grpc_load sends (api.example.com, /petstore/v1/pets,
# ≈ 1 KB of headers, the key in `apikey`), gRPC-framed.
BODY="$WORK/check.bin"
"$LOAD" --dump-request "$BODY" --key "$KEY"

# One call with curl (HTTP/2 without TLS): HTTP 200, grpc-status 0, and a CheckResponse whose
# status.code is 0 with an ok_response (Tollgate) — a denial would also be HTTP 200 and grpc-status 0.
verify() {  # $1 port, $2 name, $3 "ok_response" if one is required
  curl -sS --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' \
    --data-binary @"$BODY" -D "$WORK/verify.h" -o "$WORK/verify.b" "http://127.0.0.1:$1$CHECK_PATH"
  python3 - "$WORK/verify.h" "$WORK/verify.b" "$2" "${3:-}" <<'EOF'
import sys
head, body, name, need_ok = open(sys.argv[1]).read().lower(), open(sys.argv[2], 'rb').read(), sys.argv[3], sys.argv[4]
def varint(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if c < 0x80: return v, i
def fields(b):  # top-level fields of a protobuf message: {number: [value or bytes]}
    out, i = {}, 0
    while i < len(b):
        key, i = varint(b, i); num, wt = key >> 3, key & 7
        if wt == 0: v, i = varint(b, i)
        elif wt == 2: n, i = varint(b, i); v = b[i:i + n]; i += n
        elif wt == 1: v = b[i:i + 8]; i += 8
        elif wt == 5: v = b[i:i + 4]; i += 4
        else: raise SystemExit(f'{name}: bad wire type {wt}')
        out.setdefault(num, []).append(v)
    return out
assert ' 200' in head.splitlines()[0], f'{name}: HTTP status {head.splitlines()[0]}'
assert 'grpc-status: 0' in head, f'{name}: no grpc-status 0 in\n{head}'
assert len(body) >= 5 and body[0] == 0 and int.from_bytes(body[1:5], 'big') == len(body) - 5, f'{name}: bad gRPC frame'
msg = fields(body[5:])  # CheckResponse: 1 status, 2 denied_response, 3 ok_response
code = fields(msg[1][0]).get(1, [0])[0] if 1 in msg else 0
assert code == 0 and 2 not in msg, f'{name}: denied (status.code {code})'
assert not need_ok or 3 in msg, f'{name}: no ok_response'
print(f'verified {name}: HTTP 200, grpc-status 0, CheckResponse status.code 0'
      + (f', ok_response of {len(msg[3][0])} bytes' if 3 in msg else '') + f'; answer {len(body)} bytes')
EOF
}
verify "$GRPC" tollgate ok_response
verify "$EMPTY_PORT" empty

h2() {  # h2load against port $1 with the Check body; rest: h2load flags. CPU (user sys wall) → $WORK/time
  /usr/bin/time -f '%U %S %e' -o "$WORK/time" taskset -c 1 h2load -d "$BODY" \
    -H 'content-type: application/grpc' -H 'te: trailers' "${@:2}" "http://127.0.0.1:$1$CHECK_PATH"
}
# Time the server's threads spent runnable but waiting for the CPU (ms, /proc/PID/task/*/schedstat),
# behind other processes or behind each other (all of them are pinned to core 0).
wait_ms() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{w += $2} END {printf "%.0f", w / 1e6}'; }
h2_cpu() { awk '{printf "%.0f", ($1 + $2) * 100 / $3}' "$WORK/time"; }

# Closed loop: → "<calls/s> <server CPU µs per call> <h2load CPU %>"
peak() {  # $1 port, $2 pid
  local before after out rps
  before=$(cpu_ms "$2")
  out=$(h2 "$1" -c "$PEAK_CLIENTS" -m "$PEAK_STREAMS" -D "$SECS" --warm-up-time "$WARMUP")
  after=$(cpu_ms "$2")
  rps=$(sed -n 's/^finished in .*s, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
  grep -q ' 0 failed, 0 errored' <<<"$out" || { echo "$out" >&2; exit 1; }
  # server CPU over warm-up + measurement, divided by the calls of both (same rate assumed)
  awk -v r="$rps" -v b="$before" -v a="$after" -v s="$SECS" -v w="$WARMUP" -v c="$(h2_cpu)" \
    'BEGIN {printf "%.0f %.1f %s\n", r, (a - b) * 1000 / (r * (s + w)), c}'
}

# Open loop at $3 calls/s in all: → "<p50> <p90> <p99> <p99.9> <achieved/s> <max in flight>
# <calls started in the same ms p50/p99> <h2load CPU %> <server CPU µs per call>
# <server run-queue wait, ms per second>"
# h2load's --rps timer fires every max(10 ms, 1/rps) per client and starts all calls then due at
# once, and every client's timer starts when its connection is up. OPEN=burst: CLIENTS connections
# for -D seconds, so at R calls/s they arrive as R/100 calls every 10 ms. OPEN=spread (default):
# ceil(R/100) connections (≤ 100 calls/s each, one call per timer), opened one per millisecond
# (-r 1 --rate-period 1ms) so their timers fall in different milliseconds; -r excludes -D, so each
# connection makes its share of R × (WARMUP + SECONDS) calls (-n), and calls started in the first
# WARMUP seconds or in the last 0.2 s (ramp-down) are left out of the figures.
open_loop() {  # $1 port, $2 pid, $3 rate, $4 name
  local before after clients wait0 wait1 t0 t1
  before=$(cpu_ms "$2"); wait0=$(wait_ms "$2"); t0=$(date +%s.%N)
  if [ "${OPEN:-spread}" = burst ]; then
    clients=$CLIENTS
    h2 "$1" -c "$clients" -m "$STREAMS" --rps "$(awk -v r="$3" -v c="$clients" 'BEGIN {printf "%.3f", r / c}')" \
      -D "$SECS" --warm-up-time "$WARMUP" --log-file "$WORK/$4.tsv" >"$WORK/$4.out"
  else
    clients=$(( ($3 + 99) / 100 ))
    h2 "$1" -c "$clients" -r 1 --rate-period 1ms -m "$STREAMS" \
      --rps "$(awk -v r="$3" -v c="$clients" 'BEGIN {printf "%.3f", r / c}')" \
      -n "$(awk -v r="$3" -v s="$SECS" -v w="$WARMUP" -v c="$clients" 'BEGIN {printf "%d", int(r * (s + w) / c) * c}')" \
      --log-file "$WORK/$4.tsv" >"$WORK/$4.out"
  fi
  after=$(cpu_ms "$2"); wait1=$(wait_ms "$2"); t1=$(date +%s.%N)
  grep -q ' 0 failed, 0 errored' "$WORK/$4.out" || { cat "$WORK/$4.out" >&2; exit 1; }
  [ -z "${KEEP_LOGS:-}" ] || { mkdir -p "$KEEP_LOGS"; cp "$WORK/$4.tsv" "$KEEP_LOGS/"; }
  python3 - "$WORK/$4.tsv" "$(h2_cpu)" "$before" "$after" "$3" "$WARMUP" "$SECS" "${OPEN:-spread}" \
    "$(awk -v a="$wait0" -v b="$wait1" -v s="$t0" -v e="$t1" 'BEGIN {printf "%.0f", (b - a) / (e - s)}')" <<'EOF'
import sys, collections
path, cpu, (before, after, rate, warm, secs), mode, waited = sys.argv[1], sys.argv[2], map(float, sys.argv[3:8]), sys.argv[8], sys.argv[9]
rows = [tuple(map(int, l.split('\t')[:3])) for l in open(path)]
calls = len(rows)  # all of them, warm-up included (burst mode logs only the -D window)
if mode != 'burst':  # drop the warm-up and the ramp-down
    first, last = min(r[0] for r in rows), max(r[0] for r in rows)
    lo, hi = first + warm * 1e6, last - 0.2e6
    rows = [r for r in rows if lo <= r[0] < hi]
    span = (hi - lo) / 1e6
else:
    calls, span = rate * (warm + secs), secs
bad = sum(1 for r in rows if r[1] != 200)
lat = sorted(r[2] for r in rows)
q = lambda a, p: a[min(len(a) - 1, int(p * len(a)))]
events = sorted([(r[0], 1) for r in rows] + [(r[0] + r[2], -1) for r in rows])
live = top = 0
for _, d in events:
    live += d; top = max(top, live)
ms = collections.Counter(r[0] // 1000 for r in rows)  # calls started in the same millisecond
burst = sorted(ms[r[0] // 1000] for r in rows)
print(q(lat, .5), q(lat, .9), q(lat, .99), q(lat, .999), round(len(rows) / span), top,
      f'{q(burst, .5)}/{q(burst, .99)}', cpu, f'{(after - before) * 1000 / calls:.1f}', waited,
      'non-200:' + str(bad) if bad else '')
EOF
}

echo "$(date -u +%FT%TZ) $(uptime)"
echo "h2load $(h2load --version | awk '{print $2}'); peak: -c $PEAK_CLIENTS -m $PEAK_STREAMS -D $SECS --warm-up-time $WARMUP;" \
  "open loop (${OPEN:-spread}): $( [ "${OPEN:-spread}" = burst ] && echo "-c $CLIENTS -m $STREAMS --rps RATE/$CLIENTS -D $SECS --warm-up-time $WARMUP" || echo "-c ceil(RATE/100) -r 1 --rate-period 1ms -m $STREAMS --rps RATE/clients -n RATE*($WARMUP+$SECS)")"
peak "$GRPC" "$TG_PID" >/dev/null; peak "$EMPTY_PORT" "$EMPTY_PID" >/dev/null  # warm both up
declare -a TP EP T99 E99
for r in $(seq "$ROUNDS"); do
  read -r e1 ec1 eh1 < <(peak "$EMPTY_PORT" "$EMPTY_PID")
  read -r t1 tc1 th1 < <(peak "$GRPC" "$TG_PID")
  read -r e2 ec2 eh2 < <(peak "$EMPTY_PORT" "$EMPTY_PID")
  echo "round $r peak (closed loop, calls/s · server CPU µs/call · h2load CPU %):" \
    "empty $e1 · $ec1 · $eh1 / tollgate $t1 · $tc1 · $th1 / empty $e2 · $ec2 · $eh2 ($(uptime | sed 's/.*load/load/'))"
  TP+=("$t1"); EP+=("$e1" "$e2")
  he=$(( (e1 + e2) / 4 )); ht=$(( t1 / 2 ))
  echo "  open loop at half peak: p50 p90 p99 p99.9 (µs), achieved/s, max in flight, calls started in the same ms p50/p99, h2load CPU %, server CPU µs/call, server run-queue wait ms/s"
  read -r -a a < <(open_loop "$EMPTY_PORT" "$EMPTY_PID" "$he" "r$r-empty1"); echo "  empty    @ $he/s: ${a[*]}"; E99+=("${a[2]}")
  read -r -a a < <(open_loop "$GRPC" "$TG_PID" "$ht" "r$r-tollgate"); echo "  tollgate @ $ht/s: ${a[*]}"; T99+=("${a[2]}")
  read -r -a a < <(open_loop "$EMPTY_PORT" "$EMPTY_PID" "$he" "r$r-empty2"); echo "  empty    @ $he/s: ${a[*]}"; E99+=("${a[2]}")
done
# Fixed rates for both (RATES="1000 2000 4000"): where the p99 crosses 1 ms.
for rate in ${RATES:-}; do
  read -r -a a < <(open_loop "$EMPTY_PORT" "$EMPTY_PID" "$rate" "fixed$rate-empty"); echo "  empty    @ $rate/s: ${a[*]}"
  read -r -a a < <(open_loop "$GRPC" "$TG_PID" "$rate" "fixed$rate-tollgate"); echo "  tollgate @ $rate/s: ${a[*]}"
done
# SCHED=RATE: one more open-loop run of Tollgate at RATE under `perf sched record -a`, then what ran
# on each core and how long Tollgate's threads and h2load waited from wake-up to running.
if [ -n "${SCHED:-}" ]; then
  perf sched record -a -o "$WORK/sched.data" >/dev/null 2>&1 &
  PERF_PID=$!; PIDS+=($PERF_PID)
  sleep 1
  read -r -a a < <(open_loop "$GRPC" "$TG_PID" "$SCHED" "sched-tollgate")
  kill -INT "$PERF_PID"; wait "$PERF_PID" 2>/dev/null || true
  echo "perf sched, tollgate @ $SCHED/s: ${a[*]}"
  for cpu in 0 1; do
    perf sched timehist -i "$WORK/sched.data" -C "$cpu" 2>/dev/null >"$WORK/timehist$cpu"
    echo "  core $cpu, run time by task: $(awk 'NR > 3 {sub(/\[.*/, "", $3); t[$3] += $6} END {for (k in t) printf "%.0f ms %s\n", t[k], k}' \
      "$WORK/timehist$cpu" | sort -rn | head -6 | paste -sd, | sed 's/,/, /g')"
  done
  delays() {  # $1 file, $2 task pattern → wake-up-to-run delay percentiles (µs)
    awk -v pat="$2" 'NR > 3 && $3 ~ pat {print $5 * 1000}' "$1" | sort -n |
      awk '{a[NR] = $1; if ($1 > 1000) c++} END {if (NR) printf "%d switch-ins, p50 %d, p99 %d, max %d µs, %d over 1 ms", NR, a[int(NR * .5) + 1], a[int(NR * .99) + 1], a[NR], c}'
  }
  echo "  tollgate's threads (core 0), wake-up to running: $(delays "$WORK/timehist0" "/$TG_PID\\]")"
  echo "  h2load (core 1), wake-up to running: $(delays "$WORK/timehist1" "^h2load\\[")"
fi
echo "median peak: tollgate $(median "${TP[@]}") calls/s, empty $(median "${EP[@]}") calls/s;" \
  "median p99 at half peak: tollgate $(median "${T99[@]}") µs (${T99[*]}), empty $(median "${E99[@]}") µs (${E99[*]})"
echo "$(date -u +%FT%TZ) $(uptime)"
