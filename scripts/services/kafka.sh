# shellcheck shell=bash
# Plug-in for scripts/services.sh: Apache Kafka (KRaft, one broker+controller) from Maven Central.
# PLAINTEXT 127.0.0.1:9092, CONTROLLER 127.0.0.1:9093 ($SLUICE_KAFKA_PORT, $SLUICE_KAFKA_CONTROLLER_PORT).
# Jars: .cache/kafka/lib-<version>/ (broker, tools, Connect runtime). Data and logs:
# .services/kafka/{data,logs}.
# Version: $SLUICE_KAFKA_VERSION, default 4.3.1; if that cannot be downloaded, 3.9.1. Kafka 4 logs
# through log4j2 (log4j2.properties); 3.x through log4j 1/reload4j (log4j.properties).

KAFKA_DEFAULT_VERSION=4.3.1
KAFKA_FALLBACK_VERSION=3.9.1
KAFKA_PORT="${SLUICE_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${SLUICE_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_CONF_DIR="$SLUICE_ROOT/docker/local/kafka"

# The version whose jars are complete in the cache (set by kafka_install), else the wanted one.
kafka_version() {
  local wanted="${SLUICE_KAFKA_VERSION:-$KAFKA_DEFAULT_VERSION}" cache="$SERVICES_CACHE/kafka"
  if [[ -f "$cache/lib-$wanted/.complete" ]]; then
    printf '%s\n' "$wanted"
  elif [[ -z "${SLUICE_KAFKA_VERSION:-}" && -f "$cache/lib-$KAFKA_FALLBACK_VERSION/.complete" ]]; then
    printf '%s\n' "$KAFKA_FALLBACK_VERSION"
  else
    printf '%s\n' "$wanted"
  fi
}

kafka_lib() { printf '%s\n' "$SERVICES_CACHE/kafka/lib-$(kafka_version)"; }

kafka_fetch_jars() {
  local version="$1" cache lib
  cache="$(svc_cache_dir kafka)"
  lib="$cache/lib-$version"
  [[ -f "$lib/.complete" ]] && return 0
  command -v mvn >/dev/null || { svc_warn "mvn not found (apt-get install -y maven)"; return 1; }
  rm -rf "$lib"
  # Kafka 3.x binds slf4j to reload4j itself; the log4j2 binding the pom adds for 4.x would be a
  # second binding there.
  local excludes=()
  [[ "$version" == 3.* ]] && excludes=(-DexcludeArtifactIds=log4j-slf4j-impl,log4j-core,log4j-api)
  svc_info "kafka: downloading Kafka $version jars from Maven Central (cached in $SERVICES_CACHE/m2)"
  if ! mvn -B -q -f "$KAFKA_CONF_DIR/pom.xml" -Dkafka.version="$version" \
    -Dmaven.repo.local="$SERVICES_CACHE/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib" "${excludes[@]}" >"$cache/mvn-$version.log" 2>&1; then
    svc_warn "kafka: Maven could not fetch Kafka $version; see $cache/mvn-$version.log"
    tail -n 20 "$cache/mvn-$version.log" >&2
    return 1
  fi
  touch "$lib/.complete"
}

kafka_install() {
  command -v java >/dev/null || { svc_warn "java not found (apt-get install -y default-jre-headless)"; return 1; }
  local wanted="${SLUICE_KAFKA_VERSION:-$KAFKA_DEFAULT_VERSION}"
  kafka_fetch_jars "$wanted" && return 0
  if [[ -z "${SLUICE_KAFKA_VERSION:-}" ]]; then
    svc_warn "kafka: falling back to Kafka $KAFKA_FALLBACK_VERSION"
    kafka_fetch_jars "$KAFKA_FALLBACK_VERSION"
  else
    return 1
  fi
}

# JVM options selecting the logging configuration of the jars' version: broker or tools.
kafka_logging_opts() {
  local kind="$1" prefix=""
  [[ "$kind" == tools ]] && prefix="tools-"
  if [[ "$(kafka_version)" == 3.* ]]; then
    printf '%s\n' "-Dlog4j.configuration=file:$KAFKA_CONF_DIR/${prefix}log4j.properties"
  else
    printf '%s\n' "-Dlog4j2.configurationFile=$KAFKA_CONF_DIR/${prefix}log4j2.properties"
  fi
}

kafka_log() { printf '%s\n' "$SERVICES_STATE/kafka/logs/server.log"; }
kafka_endpoint() { printf '127.0.0.1:%s\n' "$KAFKA_PORT"; }

# Client settings for the readiness call: fail fast instead of the admin client's 60 s default.
kafka_admin_config() {
  local file="$SERVICES_STATE/kafka/admin.properties"
  if [[ ! -f "$file" ]]; then
    mkdir -p "$SERVICES_STATE/kafka"
    printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=8000\n' >"$file"
  fi
  printf '%s\n' "$file"
}

# A real admin round trip: list topics (metadata from the broker).
kafka_admin_ok() {
  svc_port_open "$KAFKA_PORT" || return 1
  java -Xmx128m -XX:TieredStopAtLevel=1 -cp "$(kafka_lib)/*" "$(kafka_logging_opts tools)" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
    --command-config "$(kafka_admin_config)" --list >/dev/null 2>&1
}

kafka_status() {
  local owner="external (not started by services.sh)"
  svc_pid_alive kafka && owner="pid $(cat "$(svc_pidfile kafka)")"
  if kafka_admin_ok; then
    printf 'Kafka %s at 127.0.0.1:%s, %s\n' "$(kafka_version)" "$KAFKA_PORT" "$owner"
  else
    svc_pid_alive kafka && printf 'process %s alive but the broker does not answer\n' "$owner"
    return 1
  fi
}

kafka_ready_or_dead() {
  svc_pid_alive kafka || return 100
  kafka_admin_ok
}

kafka_up() {
  local state data logs lib
  state="$(svc_state_dir kafka)"
  data="$state/data"
  logs="$state/logs"
  lib="$(kafka_lib)"
  mkdir -p "$data" "$logs"

  if svc_pid_alive kafka; then
    svc_info "kafka: process running but not answering; waiting for it"
    svc_wait_until 60 "Kafka admin call" kafka_ready_or_dead && return 0
    svc_stop_pidfile kafka
  fi
  local port
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if svc_port_open "$port"; then
      svc_warn "kafka: 127.0.0.1:$port is taken by a process that does not answer as Kafka"
      return 1
    fi
  done

  sed -e "s#@DATA_DIR@#$data#" -e "s#@PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" \
    "$KAFKA_CONF_DIR/server.properties" >"$state/server.properties"
  if [[ ! -f "$data/meta.properties" ]]; then
    # A KRaft cluster id is 16 random bytes in URL-safe base64 without padding (22 chars).
    local cluster_id
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | cut -c1-22)"
    svc_info "kafka: formatting storage (cluster id $cluster_id)"
    if ! java -Xmx256m -cp "$lib/*" "$(kafka_logging_opts tools)" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$state/server.properties" \
      >>"$logs/format.log" 2>&1; then
      svc_warn "kafka: storage format failed: $(tail -n 5 "$logs/format.log")"
      return 1
    fi
  fi

  svc_spawn kafka "$logs/stdout.log" \
    java -Xmx512m -Xms512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dkafka.logs.dir="$logs" "$(kafka_logging_opts broker)" \
    -cp "$lib/*" kafka.Kafka "$state/server.properties"

  svc_wait_until 90 "Kafka to answer an admin call on 127.0.0.1:$KAFKA_PORT" kafka_ready_or_dead || {
    svc_info "kafka: process output: $logs/stdout.log"
    tail -n 20 "$logs/stdout.log" >&2 || true
    return 1
  }
}

kafka_down() {
  svc_stop_pidfile kafka 60
}
