#!/usr/bin/env bash
# Installs everything Tollgate needs to build, run and test on Debian 12, then the npm packages
# (the real Envoy API protos and the Node test clients). Idempotent: apt-get runs only when a
# package is missing, `npm ci` only when node_modules is missing or package-lock.json changed.
# Runs as root, or as a user with sudo.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

PACKAGES=(
  # build
  build-essential cmake ninja-build ccache pkg-config
  # gRPC / protobuf (Envoy ext_authz, RLS, ALS)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  # Boost 1.81 only (it conflicts with the unversioned 1.74 -dev packages)
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  # storage, counters, crypto, config, logging
  libsqlite3-dev libpq-dev libhiredis-dev libssl-dev libargon2-dev libyaml-cpp-dev
  libfmt-dev libspdlog-dev
  # quota windows in IANA time zones (date/tz over the system tz database)
  libhowardhinnant-date-dev tzdata
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # real peers used by the demo and the tests (none is started as a service)
  nginx redis-server postgresql wrk nghttp2-client
  # scripts
  curl ca-certificates openssl
)

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "not root and sudo is not installed: run as root"
  SUDO=(sudo)
fi

is_installed() {
  dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | grep -q '^ii'
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done
# Node.js: keep whatever node/npm is already there (e.g. a newer one from another source);
# install Debian's only when the command is missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]})); then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep package installs from starting daemons (nginx, redis, postgresql): the demo and the tests
  # start their own instances on loopback ports.
  policy=/usr/sbin/policy-rc.d
  added_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
    "${SUDO[@]}" chmod 755 "$policy"
    added_policy=1
  fi
  cleanup_policy() { if ((added_policy)); then "${SUDO[@]}" rm -f "$policy"; fi; }
  trap cleanup_policy EXIT
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  cleanup_policy
  trap - EXIT
else
  log "Debian packages: all present"
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 18)) || die "Node.js >= 18 is needed (found $(node --version))"

# npm packages: only when node_modules is missing, incomplete, or the lock file changed.
cd "$ROOT"
stamp="node_modules/.tollgate-lock.sha256"
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
protos="node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/service/auth/v3/external_auth.proto"
if [[ "$want" != "$have" || ! -f "$protos" || ! -d node_modules/@grpc/proto-loader ]]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" >"$stamp"
else
  log "node_modules: up to date"
fi
log "done"
