# shellcheck shell=bash
# Plug-in for scripts/services.sh: a throwaway PostgreSQL 15 cluster (Debian's packages) on
# 127.0.0.1:5433, superuser `postgres`, trust auth from 127.0.0.1 only. Data, socket and log under
# .services/postgres/, owned by the `postgres` OS user when we run as root (initdb refuses root).
# Ready for logical decoding too (wal_level=logical), so Debezium can use it as a CDC source.

PG_PORT="${SLUICE_PG_PORT:-5433}"
PG_BINDIR="${SLUICE_PG_BINDIR:-/usr/lib/postgresql/15/bin}"
PG_OS_USER=postgres

pg_owner() { if [[ "$(id -u)" == 0 ]]; then printf '%s\n' "$PG_OS_USER"; else id -un; fi; }

postgres_install() {
  [[ -x "$PG_BINDIR/postgres" && -x "$PG_BINDIR/initdb" ]] && return 0
  if [[ "$(id -u)" != 0 ]]; then
    svc_warn "postgres: $PG_BINDIR/postgres is missing; install it with: sudo apt-get install -y postgresql"
    return 1
  fi
  svc_info "postgres: installing Debian's postgresql package"
  local log
  log="$(svc_cache_dir postgres)/apt.log"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update && apt-get install -y --no-install-recommends postgresql postgresql-client; } >"$log" 2>&1; then
    svc_warn "postgres: apt-get failed; see $log"
    tail -n 20 "$log" >&2
    return 1
  fi
  [[ -x "$PG_BINDIR/postgres" ]] || { svc_warn "postgres: installed, but $PG_BINDIR/postgres is still missing (not version 15?)"; return 1; }
}

postgres_log() { printf '%s\n' "$SERVICES_STATE/postgres/log/postgres.log"; }
postgres_endpoint() { printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$PG_PORT"; }

# A real query over TCP, as clients will connect.
postgres_query_ok() {
  "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -t 3 &&
    PGCONNECT_TIMEOUT=3 "$PG_BINDIR/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
      -tA -c 'select 1' 2>/dev/null | grep -qx 1
}

postgres_pid() {
  local pidfile="$SERVICES_STATE/postgres/data/postmaster.pid"
  [[ -r "$pidfile" ]] && head -n 1 "$pidfile"
}

postgres_status() {
  local owner="external (not started by services.sh)" pid
  if pid="$(postgres_pid)" && kill -0 "$pid" 2>/dev/null; then owner="pid $pid"; fi
  if postgres_query_ok; then
    printf 'PostgreSQL %s at 127.0.0.1:%s, %s\n' \
      "$("$PG_BINDIR/psql" -X -h 127.0.0.1 -p "$PG_PORT" -U postgres -tA -c 'show server_version' 2>/dev/null)" \
      "$PG_PORT" "$owner"
  else
    return 1
  fi
}

# Settings for a 2-core / 24 GiB machine shared with Kafka and the tests. Durability stays on
# (fsync, synchronous_commit, full_page_writes): the sink's guarantees are tested against it.
postgres_write_config() {
  local data="$1" run="$2"
  cat >>"$data/postgresql.conf" <<EOF

# ---- sluice local test cluster (scripts/services/postgres.sh) ----
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$run'
max_connections = 200
shared_buffers = 1GB
effective_cache_size = 6GB
work_mem = 16MB
maintenance_work_mem = 256MB
wal_buffers = 16MB
max_wal_size = 4GB
min_wal_size = 256MB
checkpoint_timeout = 15min
checkpoint_completion_target = 0.9
random_page_cost = 1.1
effective_io_concurrency = 100
max_worker_processes = 8
max_parallel_workers = 2
max_parallel_workers_per_gather = 1
fsync = on
synchronous_commit = on
full_page_writes = on
# Logical decoding for Debezium (pgoutput); slots are dropped by whoever creates them.
wal_level = logical
max_wal_senders = 20
max_replication_slots = 20
log_destination = 'stderr'
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = -1
log_timezone = 'UTC'
timezone = 'UTC'
EOF
  cat >"$data/pg_hba.conf" <<EOF
# sluice local test cluster: trust from loopback TCP only; the socket is for its OS owner.
local   all          all                    peer
host    all          all          127.0.0.1/32  trust
host    replication  all          127.0.0.1/32  trust
EOF
}

postgres_ready_or_dead() {
  local pid
  pid="$(postgres_pid)" || return 1
  kill -0 "$pid" 2>/dev/null || return 100
  postgres_query_ok
}

postgres_up() {
  local state data run logdir owner
  state="$(svc_state_dir postgres)"
  data="$state/data"
  run="$state/run"
  logdir="$state/log"
  owner="$(pg_owner)"
  mkdir -p "$run" "$logdir"
  [[ "$(id -u)" == 0 ]] && chown "$owner" "$state" "$run" "$logdir"

  if svc_port_open "$PG_PORT" && ! postgres_ready_or_dead; then
    svc_warn "postgres: 127.0.0.1:$PG_PORT is taken by a process that does not answer as our PostgreSQL"
    return 1
  fi

  if [[ ! -f "$data/PG_VERSION" ]]; then
    rm -rf "$data"
    mkdir -p "$data"
    [[ "$(id -u)" == 0 ]] && chown "$owner" "$data"
    chmod 700 "$data"
    svc_info "postgres: initdb $data"
    if ! svc_run_as_owner "$owner" "$PG_BINDIR/initdb" -D "$data" -U postgres --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$logdir/initdb.log" 2>&1; then
      svc_warn "postgres: initdb failed: see $logdir/initdb.log"
      tail -n 20 "$logdir/initdb.log" >&2
      return 1
    fi
    postgres_write_config "$data" "$run"
    [[ "$(id -u)" == 0 ]] && chown "$owner" "$data/postgresql.conf" "$data/pg_hba.conf"
  fi

  # pg_ctl -w polls the server itself (no fixed sleep); we then prove it with a real query.
  # setsid: the postmaster must not belong to the caller's session or process group.
  if ! svc_run_as_owner "$owner" setsid "$PG_BINDIR/pg_ctl" -D "$data" -l "$(postgres_log)" -w -t 60 \
    start >>"$logdir/pg_ctl.log" 2>&1; then
    svc_warn "postgres: pg_ctl start failed: see $logdir/pg_ctl.log"
    tail -n 10 "$logdir/pg_ctl.log" >&2
    return 1
  fi
  svc_wait_until 30 "PostgreSQL to answer 'select 1' on 127.0.0.1:$PG_PORT" postgres_ready_or_dead
}

postgres_down() {
  local data="$SERVICES_STATE/postgres/data" pid
  pid="$(postgres_pid)" || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  # fast: roll back open transactions, checkpoint, exit. Immediate only if that does not finish.
  if ! svc_run_as_owner "$(pg_owner)" "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w -t 60 stop \
    >>"$SERVICES_STATE/postgres/log/pg_ctl.log" 2>&1; then
    svc_warn "postgres: fast stop timed out; stopping immediately"
    svc_run_as_owner "$(pg_owner)" "$PG_BINDIR/pg_ctl" -D "$data" -m immediate -w -t 30 stop \
      >>"$SERVICES_STATE/postgres/log/pg_ctl.log" 2>&1 || true
  fi
}
