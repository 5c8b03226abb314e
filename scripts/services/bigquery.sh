# shellcheck shell=bash
# Plug-in for scripts/services.sh: goccy/bigquery-emulator v0.8.1 (Go module proxy), a BigQuery
# REST (and Storage API gRPC) emulator on GoogleSQL + SQLite, pure Go.
# REST http://127.0.0.1:9050 ($SLUICE_BIGQUERY_EMULATOR_PORT), gRPC 127.0.0.1:9060
# ($SLUICE_BIGQUERY_EMULATOR_GRPC_PORT), project `test`, in memory: every start is empty.
# Binary: .cache/bigquery/bin/bigquery-emulator-v0.8.1. Logs: .services/bigquery/emulator.log.
#
# Install: `go install github.com/goccy/bigquery-emulator/cmd/bigquery-emulator@v0.8.1` fails
# here: before building, `go install pkg@version` looks the module's deprecation up in its
# version list (@v/list), which the module proxy answers 403 for this module. The module zip of
# v0.8.1 itself is served, so the plug-in downloads it (`go mod download`), builds it in a
# writable copy with `go build`, and caches the binary. The first build compiles GoogleSQL
# (translated from WebAssembly to Go) and takes long: ~25 min on a busy 2-core machine; Go's
# module and build caches (per machine, outside the checkout) make later builds quick.

BIGQUERY_EMULATOR_VERSION=v0.8.1
BIGQUERY_EMULATOR_MODULE=github.com/goccy/bigquery-emulator
BIGQUERY_EMULATOR_PROJECT=test

bigquery_port() { printf '%s\n' "${SLUICE_BIGQUERY_EMULATOR_PORT:-9050}"; }
bigquery_grpc_port() { printf '%s\n' "${SLUICE_BIGQUERY_EMULATOR_GRPC_PORT:-9060}"; }
bigquery_binary() { printf '%s\n' "$SERVICES_CACHE/bigquery/bin/bigquery-emulator-$BIGQUERY_EMULATOR_VERSION"; }
bigquery_log() { printf '%s\n' "$SERVICES_STATE/bigquery/emulator.log"; }
bigquery_endpoint() { printf 'http://127.0.0.1:%s\n' "$(bigquery_port)"; }

bigquery_install() {
  local binary cache src module_dir
  binary="$(bigquery_binary)"
  [[ -x "$binary" ]] && return 0
  command -v go >/dev/null || { svc_warn "go not found (apt-get install -y golang, or Go >= 1.25 from the Go toolchain)"; return 1; }
  command -v curl >/dev/null || { svc_warn "curl not found (apt-get install -y curl)"; return 1; }
  cache="$(svc_cache_dir bigquery)"
  mkdir -p "$cache/bin"
  svc_info "bigquery: building $BIGQUERY_EMULATOR_MODULE@$BIGQUERY_EMULATOR_VERSION (first build: tens of minutes)"
  # The preferred route, kept first in case the proxy serves the version list one day.
  if GOBIN="$cache/bin/gobin" go install "$BIGQUERY_EMULATOR_MODULE/cmd/bigquery-emulator@$BIGQUERY_EMULATOR_VERSION" >"$cache/install.log" 2>&1; then
    mv "$cache/bin/gobin/bigquery-emulator" "$binary"
    return 0
  fi
  module_dir="$(go mod download -json "$BIGQUERY_EMULATOR_MODULE@$BIGQUERY_EMULATOR_VERSION" 2>>"$cache/install.log" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  if [[ -z "$module_dir" || ! -d "$module_dir" ]]; then
    svc_warn "bigquery: go mod download failed; see $cache/install.log"
    tail -n 20 "$cache/install.log" >&2
    return 1
  fi
  src="$cache/src-$BIGQUERY_EMULATOR_VERSION"
  rm -rf "$src"
  cp -r "$module_dir" "$src"
  chmod -R u+w "$src"
  if ! (cd "$src" && CGO_ENABLED=0 go build -o "$binary.partial" ./cmd/bigquery-emulator) >>"$cache/install.log" 2>&1; then
    svc_warn "bigquery: go build failed; see $cache/install.log"
    tail -n 20 "$cache/install.log" >&2
    return 1
  fi
  mv "$binary.partial" "$binary"
  rm -rf "$src"
}

# A real API round trip: datasets.list of the emulator's project.
bigquery_answers() {
  local body
  body="$(curl -fsS --max-time 3 "http://127.0.0.1:$(bigquery_port)/bigquery/v2/projects/$BIGQUERY_EMULATOR_PROJECT/datasets" 2>/dev/null)" || return 1
  [[ "$body" == *'"kind"'* || "$body" == *'"datasets"'* || "$body" == '{}' ]]
}

bigquery_ready_or_dead() {
  svc_pid_alive bigquery || return 100
  bigquery_answers
}

bigquery_status() {
  local owner="external (not started by services.sh)"
  svc_pid_alive bigquery && owner="pid $(cat "$(svc_pidfile bigquery)")"
  if bigquery_answers; then
    printf 'bigquery-emulator %s at http://127.0.0.1:%s (gRPC %s), project %s, %s\n' \
      "$BIGQUERY_EMULATOR_VERSION" "$(bigquery_port)" "$(bigquery_grpc_port)" "$BIGQUERY_EMULATOR_PROJECT" "$owner"
  else
    svc_pid_alive bigquery && printf 'process %s alive but the emulator does not answer\n' "$owner"
    return 1
  fi
}

bigquery_up() {
  local port grpc_port
  port="$(bigquery_port)"
  grpc_port="$(bigquery_grpc_port)"
  if svc_pid_alive bigquery; then
    svc_info "bigquery: process running but not answering; waiting for it"
    svc_wait_until 30 "bigquery-emulator to answer" bigquery_ready_or_dead && return 0
    svc_stop_pidfile bigquery
  fi
  local taken
  for taken in "$port" "$grpc_port"; do
    if svc_port_open "$taken"; then
      svc_warn "bigquery: 127.0.0.1:$taken is taken by a process that does not answer as the emulator"
      return 1
    fi
  done
  svc_state_dir bigquery >/dev/null
  svc_spawn bigquery "$(bigquery_log)" "$(bigquery_binary)" \
    --host=127.0.0.1 --project="$BIGQUERY_EMULATOR_PROJECT" --port="$port" --grpc-port="$grpc_port" --log-level=warn
  svc_wait_until 60 "bigquery-emulator to answer datasets.list on 127.0.0.1:$port" bigquery_ready_or_dead
}

bigquery_down() {
  svc_stop_pidfile bigquery 15
}
