#!/usr/bin/env bash
# Runs the Tollgate demo on this machine: tollgate (`serve --demo`), the demo upstream
# (test/e2e/upstream.js) and an nginx gateway (deploy/nginx/gateway.conf.in) in front of both.
# Ctrl-C (or any of them exiting) stops everything this script started.
#
# Environment (defaults):
#   TOLLGATE_BIN (build/src/cli/tollgate)  TOLLGATE_DATA (./data)  TOLLGATE_LISTEN (127.0.0.1)
#   TOLLGATE_HTTP_PORT (8080)  TOLLGATE_GRPC_PORT (9191)  TOLLGATE_AUTHZ_PORT (9192)
#   GATEWAY_PORT (8000)  DEMO_UPSTREAM_PORT (9090)  NGINX_BIN (/usr/sbin/nginx)
#   TOLLGATE_ADMIN_PASSWORD (first start only; else tollgate makes one and prints it once)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

BIN="${TOLLGATE_BIN:-$ROOT/build/src/cli/tollgate}"
DATA="${TOLLGATE_DATA:-$ROOT/data}"
LISTEN="${TOLLGATE_LISTEN:-127.0.0.1}"
HTTP_PORT="${TOLLGATE_HTTP_PORT:-8080}"
GRPC_PORT="${TOLLGATE_GRPC_PORT:-9191}"
AUTHZ_PORT="${TOLLGATE_AUTHZ_PORT:-9192}"
GATEWAY_PORT="${GATEWAY_PORT:-8000}"
UPSTREAM_PORT="${DEMO_UPSTREAM_PORT:-9090}"
NGINX="${NGINX_BIN:-/usr/sbin/nginx}"
TEMPLATE="$ROOT/deploy/nginx/gateway.conf.in"

log() { printf '[demo] %s\n' "$*"; }
die() { printf '[demo] error: %s\n' "$*" >&2; exit 1; }

[[ -x "$BIN" ]] || die "$BIN not found: build first (make build)"
[[ -x "$NGINX" ]] || die "nginx not found at $NGINX (scripts/setup.sh installs it)"
command -v node >/dev/null || die "node not found (scripts/setup.sh installs it)"
command -v curl >/dev/null || die "curl not found (scripts/setup.sh installs it)"

# Where the other processes reach tollgate.
LOCAL="$LISTEN"
[[ "$LOCAL" == "0.0.0.0" || "$LOCAL" == "::" ]] && LOCAL=127.0.0.1

port_busy() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
for p in "$LOCAL:$HTTP_PORT" "$LOCAL:$GRPC_PORT" "$LOCAL:$AUTHZ_PORT" "127.0.0.1:$GATEWAY_PORT" "127.0.0.1:$UPSTREAM_PORT"; do
  if port_busy "${p%:*}" "${p##*:}"; then
    die "port ${p##*:} is in use (see the environment variables at the top of $0 to pick others)"
  fi
done

mkdir -p "$DATA"
RUN="$(mktemp -d "${TMPDIR:-/tmp}/tollgate-demo.XXXXXX")"
TG_PID="" UP_PID="" NGX_PID="" TAIL_PID=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  echo
  log "stopping"
  for pid in "$NGX_PID" "$TG_PID" "$UP_PID"; do
    [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "$NGX_PID" "$TG_PID" "$UP_PID"; do
    [[ -n "$pid" ]] && wait "$pid" 2>/dev/null || true
  done
  [[ -n "$TAIL_PID" ]] && { kill "$TAIL_PID" 2>/dev/null || true; wait "$TAIL_PID" 2>/dev/null || true; }
  rm -rf "$RUN"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Admin password: TOLLGATE_ADMIN_PASSWORD when given (first start of a data folder only); else
# tollgate generates one and prints it once. It is never written to disk in clear.
[[ -n "${TOLLGATE_ADMIN_PASSWORD:-}" ]] && export TOLLGATE_ADMIN_PASSWORD

# 1. The demo upstream.
node "$ROOT/test/e2e/upstream.js" "$UPSTREAM_PORT" >"$RUN/upstream.log" 2>&1 &
UP_PID=$!

# 2. Tollgate.
export TOLLGATE_DEMO_UPSTREAM="http://127.0.0.1:$UPSTREAM_PORT"
"$BIN" serve --demo --data "$DATA" --listen "$LISTEN" \
  --http-port "$HTTP_PORT" --grpc-port "$GRPC_PORT" --authz-port "$AUTHZ_PORT" >"$RUN/tollgate.log" 2>&1 &
TG_PID=$!

log "waiting for tollgate on http://$LOCAL:$HTTP_PORT/healthz"
for ((i = 0; ; i++)); do
  if curl -fsS -o /dev/null "http://$LOCAL:$HTTP_PORT/healthz" 2>/dev/null; then break; fi
  if ! kill -0 "$TG_PID" 2>/dev/null; then
    cat "$RUN/tollgate.log" >&2; TG_PID=""; die "tollgate exited during start"
  fi
  ((i < 600)) || { cat "$RUN/tollgate.log" >&2; die "tollgate not healthy after 60 s"; }
  sleep 0.1
done
for ((i = 0; i < 50; i++)); do
  grep -q 'demo api key: ' "$RUN/tollgate.log" && break
  sleep 0.1
done
DEMO_KEY="$(grep -o 'demo api key: tg_[^[:space:]]*' "$RUN/tollgate.log" | tail -n1 | sed 's/^demo api key: //')" || true

# 3. nginx in front.
mkdir -p "$RUN/nginx/tmp" "$RUN/nginx/logs"
USER_LINE=""
[[ "$(id -u)" -eq 0 ]] && USER_LINE="user root;"
sed -e "s#@PREFIX@#$RUN/nginx#g" \
    -e "s#@LISTEN_PORT@#$GATEWAY_PORT#g" \
    -e "s#@AUTHZ_ADDR@#$LOCAL:$AUTHZ_PORT#g" \
    -e "s#@UPSTREAM_ADDR@#127.0.0.1:$UPSTREAM_PORT#g" \
    -e "s#@USER_LINE@#$USER_LINE#g" \
    "$TEMPLATE" >"$RUN/nginx/nginx.conf"
"$NGINX" -t -q -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e stderr || die "nginx rejected $RUN/nginx/nginx.conf"
"$NGINX" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e stderr -g 'daemon off;' &
NGX_PID=$!
for ((i = 0; ; i++)); do
  port_busy 127.0.0.1 "$GATEWAY_PORT" && break
  kill -0 "$NGX_PID" 2>/dev/null || { NGX_PID=""; die "nginx exited during start"; }
  ((i < 100)) || die "nginx not listening after 10 s"
  sleep 0.1
done

# What tollgate said at start (the demo key, and the admin password on a first start).
sed 's/^/  [tollgate] /' "$RUN/tollgate.log"

cat <<INFO

Tollgate demo is running.
  gateway (nginx auth_request)  http://127.0.0.1:$GATEWAY_PORT
  management REST API           http://$LOCAL:$HTTP_PORT   (user admin, password: TOLLGATE_ADMIN_PASSWORD or the one printed at the first start)
  Envoy ext_authz (gRPC)        $LOCAL:$GRPC_PORT
  HTTP authz (nginx/Envoy/Traefik) http://$LOCAL:$AUTHZ_PORT
  demo upstream                 http://127.0.0.1:$UPSTREAM_PORT
  data                          $DATA

Call the demo API:
  curl -H 'apikey: ${DEMO_KEY:-<demo api key above>}' http://127.0.0.1:$GATEWAY_PORT/petstore/v1/pets
  curl -i http://127.0.0.1:$GATEWAY_PORT/petstore/v1/pets          # no key: 401
  curl -u 'admin:PASSWORD' http://$LOCAL:$HTTP_PORT/api/v1/apis

Ctrl-C stops everything.
INFO

# Keep streaming tollgate's log; stop when any of the three exits.
tail -n 0 -f "$RUN/tollgate.log" --pid="$TG_PID" | sed -u 's/^/  [tollgate] /' &
TAIL_PID=$!
set +e
wait -n "$TG_PID" "$UP_PID" "$NGX_PID"
rc=$?
set -e
for name in TG_PID UP_PID NGX_PID; do
  pid="${!name}"
  if ! kill -0 "$pid" 2>/dev/null; then
    log "${name%_PID} (pid $pid) exited with status $rc"
    eval "$name=''"
  fi
done
exit "$rc"
