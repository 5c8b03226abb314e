#!/usr/bin/env bash
# Build the native binding of the optional @confluentinc/kafka-javascript (librdkafka) client
# without any download from outside the npm registry and Debian.
#
#   scripts/install-confluent-kafka.sh          build (or restore from cache) unless it already loads
#   scripts/install-confluent-kafka.sh --check  exit 0 if the binding loads, 1 otherwise; builds nothing
#
# Why this script exists: the package's own install step (`node-pre-gyp install --fallback-to-build`)
# first downloads a prebuilt binary from GitHub, and its fallback build runs librdkafka's
# `./configure --install-deps --source-deps-only`, which downloads zlib, OpenSSL, zstd and cURL
# sources. Neither host is reachable here, so package.json denies that install script
# (`allowScripts: {"@confluentinc/kafka-javascript": false}`) and `npm ci` only unpacks the package.
# This script then builds the librdkafka source bundled in the npm tarball with CKJS_LINKING=dynamic,
# which makes librdkafka's configure use the system's libssl/zlib (Debian's libssl-dev, zlib1g-dev)
# instead of downloading them. The addon finds build/deps/librdkafka.so through its $ORIGIN rpath.
# node-gyp takes the Node headers from the Node installation (include/node), not from the network.
#
# The built files are cached under ${SLUICE_CACHE_DIR:-.cache}/confluent-kafka/ keyed by package
# version, Node ABI, platform and architecture, so a second install takes a second.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$ROOT/node_modules/@confluentinc/kafka-javascript"
CACHE_DIR="${SLUICE_CACHE_DIR:-$ROOT/.cache}/confluent-kafka"

info() { printf '[confluent-kafka] %s\n' "$*" >&2; }

binding_loads() {
  (cd "$ROOT" && node -e "require('@confluentinc/kafka-javascript')" >/dev/null 2>&1)
}

if [[ ! -f "$PKG/package.json" ]]; then
  info "node_modules/@confluentinc/kafka-javascript is missing: run 'npm ci' first (optional dependencies included)"
  exit 1
fi

if binding_loads; then
  [[ "${1:-}" == "--check" ]] || info "binding already built ($(cd "$ROOT" && node -p "require('@confluentinc/kafka-javascript').librdkafkaVersion") librdkafka)"
  exit 0
fi
if [[ "${1:-}" == "--check" ]]; then
  exit 1
fi

version="$(node -p "require('$PKG/package.json').version")"
key="$(node -p "['v$version', 'abi' + process.versions.modules, process.platform, process.arch].join('-')")"
cached="$CACHE_DIR/$key.tar.gz"

if [[ -f "$cached" ]]; then
  info "restoring the binding from $cached"
  tar -xzf "$cached" -C "$PKG"
  if binding_loads; then
    exit 0
  fi
  info "the cached binding does not load here; rebuilding"
  rm -f "$cached"
fi

missing=()
for tool in gcc g++ make python3 pkg-config; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    info "installing build prerequisites from Debian: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential python3 pkg-config libssl-dev zlib1g-dev >/dev/null
  else
    info "missing build prerequisites: ${missing[*]} (install build-essential python3 pkg-config libssl-dev zlib1g-dev)"
    exit 1
  fi
fi

# node-gyp needs Node's C headers. Use the ones installed with Node rather than downloading them.
if [[ -z "${npm_config_nodedir:-}" ]]; then
  node_prefix="$(node -p "require('path').resolve(process.execPath, '..', '..')")"
  if [[ -f "$node_prefix/include/node/node.h" ]]; then
    export npm_config_nodedir="$node_prefix"
  else
    info "Node headers not found under $node_prefix/include/node; node-gyp will try to download them"
  fi
fi

log="$CACHE_DIR/build.log"
mkdir -p "$CACHE_DIR"
info "building librdkafka $(node -p "require('$PKG/package.json').librdkafka") and the binding from source (about 1-2 minutes on 2 cores); log: $log"
# `npm run install` inside the package runs its own install script (node-pre-gyp) with npm's
# node-gyp; the prebuilt download fails fast offline and it falls back to the local build.
if ! (cd "$PKG" && CKJS_LINKING=dynamic npm run install >"$log" 2>&1); then
  info "build failed; last lines of $log:"
  tail -n 40 "$log" >&2
  exit 1
fi
if ! binding_loads; then
  info "the build finished but the binding does not load:"
  (cd "$ROOT" && node -e "require('@confluentinc/kafka-javascript')") || true
  exit 1
fi

(cd "$PKG" && tar -czf "$cached.tmp" build/Release/confluent-kafka-javascript.node $(cd "$PKG" && ls build/deps/librdkafka*.so* 2>/dev/null || true)) &&
  mv "$cached.tmp" "$cached"
info "built and cached as $cached"
