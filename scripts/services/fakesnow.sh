# shellcheck shell=bash
# Plug-in for scripts/services.sh: fakesnow (PyPI, pinned 0.12.1), a Snowflake REST emulator on
# DuckDB, behind docker/local/fakesnow/shim.py so that the Node.js snowflake-sdk can use it.
# HTTP 127.0.0.1:8085 ($SLUICE_FAKESNOW_PORT); the writer connects with
# accessUrl=http://127.0.0.1:8085. In-memory: every start is an empty account.
# Python packages: .cache/fakesnow/venv (pins in docker/local/fakesnow/requirements.txt).
# Logs: .services/fakesnow/fakesnow.log.

FAKESNOW_CONF_DIR="$SLUICE_ROOT/docker/local/fakesnow"

fakesnow_port() { printf '%s\n' "${SLUICE_FAKESNOW_PORT:-8085}"; }
fakesnow_venv() { printf '%s\n' "$SERVICES_CACHE/fakesnow/venv"; }
fakesnow_log() { printf '%s\n' "$SERVICES_STATE/fakesnow/fakesnow.log"; }
fakesnow_endpoint() { printf 'http://127.0.0.1:%s\n' "$(fakesnow_port)"; }

fakesnow_install() {
  local venv stamp requirements="$FAKESNOW_CONF_DIR/requirements.txt"
  venv="$(fakesnow_venv)"
  stamp="$venv/.requirements"
  if [[ -x "$venv/bin/python" && -f "$stamp" ]] && cmp -s "$stamp" "$requirements"; then
    return 0
  fi
  local python
  python="$(command -v python3 || true)"
  [[ -n "$python" ]] || { svc_warn "python3 not found (apt-get install -y python3 python3-venv)"; return 1; }
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
    { svc_warn "fakesnow needs Python >= 3.11 ($python is older)"; return 1; }
  svc_cache_dir fakesnow >/dev/null
  if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv" || { svc_warn "python3 -m venv failed (apt-get install -y python3-venv)"; return 1; }
  fi
  svc_info "fakesnow: installing $(grep -m1 '^fakesnow' "$requirements") into $venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" \
    >"$SERVICES_CACHE/fakesnow/pip.log" 2>&1 || {
    svc_warn "fakesnow: pip install failed; see $SERVICES_CACHE/fakesnow/pip.log"
    tail -n 20 "$SERVICES_CACHE/fakesnow/pip.log" >&2
    return 1
  }
  cp "$requirements" "$stamp"
}

# A real client round trip through the shim: login, SELECT 1 answered as a JSON rowset.
fakesnow_answers() {
  local venv
  venv="$(fakesnow_venv)"
  [[ -x "$venv/bin/python" ]] || return 1
  "$venv/bin/python" "$FAKESNOW_CONF_DIR/ready.py" "$(fakesnow_port)" 2>/dev/null
}

fakesnow_ready_or_dead() {
  svc_pid_alive fakesnow || return 100
  fakesnow_answers
}

fakesnow_status() {
  local owner="external (not started by services.sh)"
  svc_pid_alive fakesnow && owner="pid $(cat "$(svc_pidfile fakesnow)")"
  if fakesnow_answers; then
    printf 'fakesnow 0.12.1 (Snowflake emulator) at http://127.0.0.1:%s, %s\n' "$(fakesnow_port)" "$owner"
  else
    svc_pid_alive fakesnow && printf 'process %s alive but fakesnow does not answer\n' "$owner"
    return 1
  fi
}

fakesnow_up() {
  local port
  port="$(fakesnow_port)"
  if svc_pid_alive fakesnow; then
    svc_info "fakesnow: process running but not answering; waiting for it"
    svc_wait_until 30 "fakesnow to answer" fakesnow_ready_or_dead && return 0
    svc_stop_pidfile fakesnow
  fi
  if svc_port_open "$port"; then
    svc_warn "fakesnow: 127.0.0.1:$port is taken by a process that does not answer as fakesnow"
    return 1
  fi
  svc_state_dir fakesnow >/dev/null
  svc_spawn fakesnow "$(fakesnow_log)" \
    "$(fakesnow_venv)/bin/python" "$FAKESNOW_CONF_DIR/shim.py" --host 127.0.0.1 --port "$port"
  svc_wait_until 60 "fakesnow to answer SELECT 1 on 127.0.0.1:$port" fakesnow_ready_or_dead
}

fakesnow_down() {
  svc_stop_pidfile fakesnow 15
}
