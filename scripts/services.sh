#!/usr/bin/env bash
# Real local services for sluice's tests and demo, without Docker.
#
#   scripts/services.sh up     [names...]   install (cached), start, await readiness; idempotent
#   scripts/services.sh down   [names...]   stop cleanly (TERM, then KILL after a deadline); idempotent
#   scripts/services.sh status [names...]   one line per service; exit 1 if any is not ready
#   scripts/services.sh install [names...]  download/install only (used by .ci/run to cache ahead)
#   scripts/services.sh clean  [names...]   down, then delete the service's state (data, logs)
#   scripts/services.sh logs   <name>       print the service's log path and its tail
#   scripts/services.sh list                print the names acted on by default (one line)
#   scripts/services.sh check  [names...]   check plug-ins define the contract (default: all plug-ins)
#
# With no names: $SLUICE_SERVICES (space separated), default $SLUICE_DEFAULT_SERVICES below — the
# services `npm test` and .ci/run start. Append yours there when your tests need it.
# Every service listens on 127.0.0.1 only. Downloads are cached under .cache/, state (pid files,
# data, logs) lives under .services/<name>/; both folders are git-ignored.
#
# ---------------------------------------------------------------------------------------------
# Plug-in contract: a service <name> is the file scripts/services/<name>.sh, sourced by this
# script (never executed on its own). It defines these functions:
#
#   <name>_install   Make the binaries available (apt, Maven, pip, go install ...), caching
#                    downloads under "$SERVICES_CACHE/<name>". Must be idempotent and quick when
#                    everything is cached. Non-zero exit = install failed.
#   <name>_up        Start the service in the background and return only once a REAL client call
#                    succeeds (use svc_wait_until with a deadline; never a fixed sleep). Called only
#                    when <name>_status says it is not ready. Start long-running processes with
#                    svc_spawn so they get a pid file, their own process group and a log file.
#                    Non-zero exit = start failed; the runner then prints the log tail.
#   <name>_down      Stop what <name>_up started (svc_stop_pidfile does TERM → wait → KILL of the
#                    whole process group). Must succeed when nothing is running.
#   <name>_status    Exit 0 only if the service answers a real client call right now. Print one
#                    short line describing it (address, pid). Must be cheap (a few seconds at most).
#   <name>_log       Print the path of the main log file (shown when something fails).
#   <name>_endpoint  (optional) print the address clients use, e.g. 127.0.0.1:9092.
#
# Helpers available to plug-ins (defined below): svc_state_dir NAME, svc_cache_dir NAME,
# svc_spawn NAME LOGFILE CMD..., svc_pid_alive NAME, svc_stop_pidfile NAME [SECONDS],
# svc_wait_until SECONDS DESCRIPTION CMD... (CMD exit 100 = give up now), svc_port_open PORT, svc_info/svc_warn MSG,
# svc_run_as_owner USER CMD... (runuser when root, direct otherwise).
# Variables: SLUICE_ROOT (repo root), SERVICES_STATE (.services), SERVICES_CACHE (.cache).
# ---------------------------------------------------------------------------------------------
set -euo pipefail

SLUICE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SERVICES_STATE="${SLUICE_SERVICES_STATE:-$SLUICE_ROOT/.services}"
SERVICES_CACHE="${SLUICE_CACHE_DIR:-$SLUICE_ROOT/.cache}"
SERVICES_PLUGINS="$SLUICE_ROOT/scripts/services"
SLUICE_DEFAULT_SERVICES="kafka postgres opensearch fakesnow registry connect bigquery"
export SLUICE_ROOT SERVICES_STATE SERVICES_CACHE

svc_info() { printf '[services] %s\n' "$*" >&2; }
svc_warn() { printf '[services] WARNING: %s\n' "$*" >&2; }

svc_state_dir() { mkdir -p "$SERVICES_STATE/$1" && printf '%s\n' "$SERVICES_STATE/$1"; }
svc_cache_dir() { mkdir -p "$SERVICES_CACHE/$1" && printf '%s\n' "$SERVICES_CACHE/$1"; }

svc_pidfile() { printf '%s\n' "$SERVICES_STATE/$1/pid"; }

# True when the pid file exists and names a live process.
svc_pid_alive() {
  local pidfile pid
  pidfile="$(svc_pidfile "$1")"
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# Start CMD detached in its own session (so its whole process group can be stopped), stdout and
# stderr appended to LOGFILE, stdin closed; records the pid (= process group id) in the pid file.
svc_spawn() {
  local name="$1" logfile="$2"
  shift 2
  mkdir -p "$(dirname "$logfile")" "$SERVICES_STATE/$name"
  printf '\n==== %s starting %s: %s\n' "$(date -u +%FT%TZ)" "$name" "$*" >>"$logfile"
  setsid "$@" </dev/null >>"$logfile" 2>&1 &
  echo $! >"$(svc_pidfile "$name")"
}

# TERM the process group recorded in the pid file, wait up to SECONDS (default 30) for it to exit,
# then KILL it. Removes the pid file. Succeeds when nothing was running.
svc_stop_pidfile() {
  local name="$1" seconds="${2:-30}" pidfile pid deadline
  pidfile="$(svc_pidfile "$name")"
  [[ -f "$pidfile" ]] || return 0
  pid="$(cat "$pidfile")"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    deadline=$((SECONDS + seconds))
    while kill -0 -- "-$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    if kill -0 -- "-$pid" 2>/dev/null; then
      svc_warn "$name (pid $pid) did not stop within ${seconds}s; sending KILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
      while kill -0 -- "-$pid" 2>/dev/null; do sleep 0.1; done
    fi
  fi
  rm -f "$pidfile"
}

# Poll CMD until it succeeds or SECONDS pass. The poll interval is short; what is awaited is the
# condition, not a duration. CMD exiting with 100 means "this will never succeed" (e.g. the
# process died) and ends the wait at once.
svc_wait_until() {
  local seconds="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + seconds)) rc
  while true; do
    rc=0
    "$@" >/dev/null 2>&1 || rc=$?
    ((rc == 0)) && return 0
    if ((rc == 100)); then
      svc_warn "gave up waiting for $what: the process exited"
      return 1
    fi
    if ((SECONDS >= deadline)); then
      svc_warn "timed out after ${seconds}s waiting for $what"
      return 1
    fi
    sleep 0.25
  done
}

svc_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

svc_run_as_owner() {
  local user="$1"
  shift
  if [[ "$(id -u)" == 0 ]]; then runuser -u "$user" -- "$@"; else "$@"; fi
}

svc_load() {
  local name="$1" plugin="$SERVICES_PLUGINS/$1.sh"
  if [[ ! -f "$plugin" ]]; then
    svc_warn "unknown service '$name' (no $plugin). Known: $(svc_known)"
    return 2
  fi
  # shellcheck source=/dev/null
  source "$plugin"
  local fn
  for fn in install up down status log; do
    if ! declare -F "${name}_${fn}" >/dev/null; then
      svc_warn "$plugin does not define ${name}_${fn}"
      return 2
    fi
  done
}

svc_known() {
  local f names=()
  for f in "$SERVICES_PLUGINS"/*.sh; do names+=("$(basename "$f" .sh)"); done
  printf '%s' "${names[*]}"
}

svc_show_log() {
  local name="$1" log
  log="$("${name}_log")"
  svc_info "$name log: $log"
  if [[ -f "$log" ]]; then
    svc_info "last 40 lines of $log:"
    tail -n 40 "$log" | sed 's/^/    /' >&2
  fi
}

# Each plug-in is sourced in its own subshell so one cannot hide another's missing function.
cmd_check() {
  local name failed=0
  for name in "$@"; do
    if (svc_load "$name"); then
      printf '%-10s ok\n' "$name"
    else
      failed=1
    fi
  done
  return "$failed"
}

cmd_install() {
  local name
  for name in "$@"; do
    svc_load "$name"
    local t0=$SECONDS
    "${name}_install" || { svc_warn "$name: install failed"; return 1; }
    svc_info "$name: installed ($((SECONDS - t0))s)"
  done
}

cmd_up() {
  local name
  for name in "$@"; do
    svc_load "$name"
    if "${name}_status" >/dev/null 2>&1; then
      svc_info "$name: already running — $("${name}_status" 2>/dev/null || true)"
      continue
    fi
    local t0=$SECONDS
    "${name}_install" || { svc_warn "$name: install failed"; return 1; }
    svc_info "$name: starting"
    if ! "${name}_up"; then
      svc_warn "$name: failed to start"
      svc_show_log "$name"
      return 1
    fi
    svc_info "$name: ready in $((SECONDS - t0))s — $("${name}_status" 2>/dev/null || true)"
  done
}

cmd_down() {
  local name i
  # Stop in reverse order of the list so dependants (e.g. connect) stop before what they use.
  for ((i = $# ; i >= 1 ; i--)); do
    name="${!i}"
    svc_load "$name"
    "${name}_down"
    svc_info "$name: stopped"
  done
}

cmd_status() {
  local name failed=0 line
  for name in "$@"; do
    svc_load "$name"
    if line="$("${name}_status" 2>/dev/null)"; then
      printf '%-10s up    %s\n' "$name" "$line"
    else
      printf '%-10s DOWN  %s (log: %s)\n' "$name" "$line" "$("${name}_log")"
      failed=1
    fi
  done
  return "$failed"
}

cmd_clean() {
  cmd_down "$@"
  local name
  for name in "$@"; do
    # State may belong to another OS user (postgres); we are its owner or root.
    rm -rf "${SERVICES_STATE:?}/$name"
    svc_info "$name: state removed"
  done
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  local names=("$@")
  if [[ ${#names[@]} -eq 0 && "$cmd" == check ]]; then
    read -r -a names <<<"$(svc_known)"
  elif [[ ${#names[@]} -eq 0 ]]; then
    read -r -a names <<<"${SLUICE_SERVICES:-$SLUICE_DEFAULT_SERVICES}"
  fi
  mkdir -p "$SERVICES_STATE" "$SERVICES_CACHE"
  case "$cmd" in
    up) cmd_up "${names[@]}" ;;
    down | stop) cmd_down "${names[@]}" ;;
    status) cmd_status "${names[@]}" ;;
    install) cmd_install "${names[@]}" ;;
    clean) cmd_clean "${names[@]}" ;;
    check) cmd_check "${names[@]}" ;;
    list) printf '%s\n' "${names[*]}" ;;
    logs)
      svc_load "${names[0]}"
      svc_show_log "${names[0]}"
      ;;
    *)
      sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
      return 2
      ;;
  esac
}

main "$@"
