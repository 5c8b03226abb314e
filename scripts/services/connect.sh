# shellcheck shell=bash
# Plug-in for scripts/services.sh: a Kafka Connect standalone worker with Debezium's PostgreSQL
# connector, the real CDC source of the end-to-end tests (test/e2e/debezium/).
# REST API http://127.0.0.1:8083 ($SLUICE_CONNECT_PORT). Needs the `kafka` service running.
#
# Jars: the worker runs from Kafka's own jars (.cache/kafka/lib-<version>/: connect-runtime,
# connect-json); Debezium is a plug-in folder .cache/connect/plugins-<debezium>/debezium-connector-postgres/
# fetched from Maven Central with docker/local/connect/pom.xml.
# State: .services/connect/{worker.properties,offsets/connect.offsets,logs/connect.log}.
# The worker starts with no connector; tests create theirs with POST /connectors and delete them
# (standalone mode keeps connector configurations in memory, offsets in the offsets file).
#
# Settings: SLUICE_CONNECT_PORT (8083), SLUICE_CONNECT_HEAP (512m), SLUICE_DEBEZIUM_VERSION (3.6.1.Final).

CONNECT_PORT="${SLUICE_CONNECT_PORT:-8083}"
CONNECT_CONF_DIR="$SLUICE_ROOT/docker/local/connect"
DEBEZIUM_VERSION="${SLUICE_DEBEZIUM_VERSION:-3.6.1.Final}"
CONNECT_POSTGRES_CLASS=io.debezium.connector.postgresql.PostgresConnector

# The Kafka plug-in knows where Kafka's jars are and how to fetch them.
# shellcheck source=scripts/services/kafka.sh
source "$SERVICES_PLUGINS/kafka.sh"

connect_plugin_path() { printf '%s\n' "$SERVICES_CACHE/connect/plugins-$DEBEZIUM_VERSION"; }
connect_log() { printf '%s\n' "$SERVICES_STATE/connect/logs/connect.log"; }
connect_endpoint() { printf 'http://127.0.0.1:%s\n' "$CONNECT_PORT"; }

connect_install() {
  kafka_install || return 1
  command -v curl >/dev/null || { svc_warn "curl not found (apt-get install -y curl)"; return 1; }
  local cache plugins target
  cache="$(svc_cache_dir connect)"
  plugins="$(connect_plugin_path)"
  target="$plugins/debezium-connector-postgres"
  [[ -f "$plugins/.complete" ]] && return 0
  command -v mvn >/dev/null || { svc_warn "mvn not found (apt-get install -y maven)"; return 1; }
  rm -rf "$plugins"
  mkdir -p "$target"
  svc_info "connect: downloading Debezium PostgreSQL connector $DEBEZIUM_VERSION from Maven Central"
  # Kafka's own jars and the logging API come from the worker's classpath: a second copy inside
  # the plug-in would shadow them (the connector pulls connect-api/kafka-clients 4.3.0).
  if ! mvn -B -q -f "$CONNECT_CONF_DIR/pom.xml" -Ddebezium.version="$DEBEZIUM_VERSION" \
    -Dmaven.repo.local="$SERVICES_CACHE/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$target" \
    -DexcludeGroupIds=org.apache.kafka,org.slf4j,com.github.luben,at.yawk.lz4,org.xerial.snappy,jakarta.ws.rs \
    >"$cache/mvn-$DEBEZIUM_VERSION.log" 2>&1; then
    svc_warn "connect: Maven could not fetch Debezium $DEBEZIUM_VERSION; see $cache/mvn-$DEBEZIUM_VERSION.log"
    tail -n 20 "$cache/mvn-$DEBEZIUM_VERSION.log" >&2
    return 1
  fi
  [[ -f "$target/debezium-connector-postgres-$DEBEZIUM_VERSION.jar" ]] || {
    svc_warn "connect: the connector jar is missing from $target after Maven ran"
    return 1
  }
  touch "$plugins/.complete"
}

# A real REST round trip that also proves the worker loaded Debezium's connector.
connect_answers() {
  curl -fsS --max-time 3 "http://127.0.0.1:$CONNECT_PORT/connector-plugins" 2>/dev/null |
    grep -q "\"$CONNECT_POSTGRES_CLASS\""
}

connect_status() {
  local owner="external (not started by services.sh)" version
  svc_pid_alive connect && owner="pid $(cat "$(svc_pidfile connect)")"
  if connect_answers; then
    version="$(curl -fsS --max-time 3 "http://127.0.0.1:$CONNECT_PORT/" 2>/dev/null | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')"
    printf 'Kafka Connect %s (standalone, Debezium %s) at http://127.0.0.1:%s, %s\n' "${version:-?}" "$DEBEZIUM_VERSION" "$CONNECT_PORT" "$owner"
  else
    svc_pid_alive connect && printf 'process %s alive but the REST API does not answer\n' "$owner"
    return 1
  fi
}

connect_ready_or_dead() {
  svc_pid_alive connect || return 100
  connect_answers
}

connect_up() {
  local state logs offsets lib
  state="$(svc_state_dir connect)"
  logs="$state/logs"
  offsets="$state/offsets"
  lib="$(kafka_lib)"
  mkdir -p "$logs" "$offsets"

  if ! kafka_admin_ok; then
    svc_warn "connect: Kafka does not answer at 127.0.0.1:$KAFKA_PORT; start it first: scripts/services.sh up kafka connect"
    return 1
  fi
  if svc_pid_alive connect; then
    svc_info "connect: process running but not answering; waiting for it"
    svc_wait_until 90 "Kafka Connect REST API" connect_ready_or_dead && return 0
    svc_stop_pidfile connect
  fi
  if svc_port_open "$CONNECT_PORT"; then
    svc_warn "connect: 127.0.0.1:$CONNECT_PORT is taken by a process that does not answer as our Kafka Connect"
    return 1
  fi

  sed -e "s#@BOOTSTRAP@#127.0.0.1:$KAFKA_PORT#" -e "s#@PORT@#$CONNECT_PORT#g" \
    -e "s#@OFFSETS_FILE@#$offsets/connect.offsets#" -e "s#@PLUGIN_PATH@#$(connect_plugin_path)#" \
    "$CONNECT_CONF_DIR/worker.properties" >"$state/worker.properties"

  svc_spawn connect "$logs/stdout.log" \
    java "-Xmx${SLUICE_CONNECT_HEAP:-512m}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dconnect.logs.dir="$logs" "-Dlog4j2.configurationFile=$CONNECT_CONF_DIR/log4j2.properties" \
    -cp "$lib/*" org.apache.kafka.connect.cli.ConnectStandalone "$state/worker.properties"

  svc_wait_until 120 "Kafka Connect to list Debezium's connector at http://127.0.0.1:$CONNECT_PORT" connect_ready_or_dead || {
    svc_info "connect: process output: $logs/stdout.log"
    tail -n 20 "$logs/stdout.log" >&2 || true
    return 1
  }
}

# TERM lets the worker stop its connectors, which commit their offsets (and Debezium confirms the
# flushed LSN to its replication slot) before it exits.
connect_down() {
  svc_stop_pidfile connect 60
}
