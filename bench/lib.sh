# Shared by the load scripts in bench/: a work folder and the processes to stop on exit, free
# loopback ports, CPU time of processes, medians. Source it after `set -euo pipefail`.
WORK="$(mktemp -d)"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits until the URL answers 2xx (20 s at most).
wait_http() { for _ in $(seq 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; exit 1; }

cpu_ms() {  # utime+stime (ms) of the given processes, all their threads
  local total=0 p
  for p in "$@"; do
    total=$(awk -v t="$total" -v hz="$(getconf CLK_TCK)" '{print t + ($14+$15)*1000/hz}' "/proc/$p/stat")
  done
  echo "$total"
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The two gRPC Check servers of the bench scripts, both pinned to core 0: `tollgate serve --demo`
# (one gRPC thread) and the empty handler. Needs BIN and EMPTY; sets HTTP, GRPC, AUTHZ,
# EMPTY_PORT, TG_PID, EMPTY_PID and KEY (the demo API key).
start_grpc_servers() {
  HTTP=$(free_port); GRPC=$(free_port); AUTHZ=$(free_port); EMPTY_PORT=$(free_port)
  TOLLGATE_ADMIN_PASSWORD=bench taskset -c 0 "$BIN" serve --demo --data "$WORK/data" --listen 127.0.0.1 \
    --http-port "$HTTP" --grpc-port "$GRPC" --authz-port "$AUTHZ" --threads 1 >"$WORK/tg.log" 2>&1 &
  TG_PID=$!; PIDS+=($TG_PID)
  taskset -c 0 "$EMPTY" "$EMPTY_PORT" >"$WORK/empty.log" 2>&1 &
  EMPTY_PID=$!; PIDS+=($EMPTY_PID)
  wait_http "http://127.0.0.1:$HTTP/healthz"
  KEY=$(grep -o 'demo api key: tg_[^ ]*' "$WORK/tg.log" | sed 's/demo api key: //')
  [ -n "$KEY" ] || { echo "no demo key in the log" >&2; exit 1; }
}
