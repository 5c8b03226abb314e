# shellcheck shell=bash
# Plug-in for scripts/services.sh: Apicurio Registry 2.4.2.Final, a real schema registry that speaks
# the Confluent API (/apis/ccompat/v7), for the Avro tests (test/integration/avro/).
# Endpoint: http://127.0.0.1:8081/apis/ccompat/v7 ($SLUICE_REGISTRY_PORT).
#
# Built from Maven Central with docker/local/registry/pom.xml (Quarkus' build step over the app
# jar; why 2.4.2 and what is worked around: the pom's comment and docs/avro.md) into
# .cache/registry/build-<version>/. Runs on the machine's Java 17.
# State: .services/registry/{data/ (H2 file database: schemas survive a restart, as a production
# registry's storage does — the outage test stops and starts it), logs/registry.log}.
#
# Settings: SLUICE_REGISTRY_PORT (8081), SLUICE_REGISTRY_HEAP (384m).

REGISTRY_PORT="${SLUICE_REGISTRY_PORT:-8081}"
REGISTRY_VERSION=2.4.2.Final
REGISTRY_CONF_DIR="$SLUICE_ROOT/docker/local/registry"

registry_build_dir() { printf '%s\n' "$SERVICES_CACHE/registry/build-$REGISTRY_VERSION"; }
# A Kafka Connect plug-in folder with Apicurio's Avro converter (copied into Connect's plug-in path
# by the Debezium Avro test): <dir>/apicurio-avro-converter/.
registry_converter_dir() { printf '%s\n' "$SERVICES_CACHE/registry/converter-$REGISTRY_VERSION"; }
registry_log() { printf '%s\n' "$SERVICES_STATE/registry/logs/registry.log"; }
registry_endpoint() { printf 'http://127.0.0.1:%s/apis/ccompat/v7\n' "$REGISTRY_PORT"; }

registry_install() {
  registry_install_server && registry_install_converter
}

registry_install_converter() {
  local target cache manifest
  target="$(registry_converter_dir)/apicurio-avro-converter"
  [[ -f "$(registry_converter_dir)/.complete" ]] && return 0
  cache="$(svc_cache_dir registry)"
  rm -rf "$(registry_converter_dir)"
  mkdir -p "$target"
  if ! MAVEN_OPTS="${MAVEN_OPTS:-} -Djavax.net.ssl.trustStore=/etc/ssl/certs/java/cacerts" \
    mvn -B -q -f "$REGISTRY_CONF_DIR/converter/pom.xml" -Dmaven.repo.local="$SERVICES_CACHE/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$target" -DexcludeGroupIds=org.apache.kafka,org.slf4j \
    >"$cache/mvn-converter-$REGISTRY_VERSION.log" 2>&1; then
    svc_warn "registry: Maven could not fetch Apicurio's converter; see $cache/mvn-converter-$REGISTRY_VERSION.log"
    return 1
  fi
  # Kafka Connect's service_load discovery needs a ServiceLoader manifest the jar does not have.
  manifest="$(mktemp -d)"
  mkdir -p "$manifest/META-INF/services"
  printf 'io.apicurio.registry.utils.converter.AvroConverter\n' >"$manifest/META-INF/services/org.apache.kafka.connect.storage.Converter"
  # A jar is a zip: `jar` comes with a JDK only, python3's zipfile does on a JRE-only machine.
  if command -v jar >/dev/null; then
    (cd "$manifest" && jar cf "$target/sluice-apicurio-converter-manifest.jar" META-INF) || { rm -rf "$manifest"; return 1; }
  else
    (cd "$manifest" && python3 -m zipfile -c "$target/sluice-apicurio-converter-manifest.jar" META-INF) || { rm -rf "$manifest"; return 1; }
  fi
  rm -rf "$manifest"
  touch "$(registry_converter_dir)/.complete"
}

registry_install_server() {
  local build cache
  build="$(registry_build_dir)"
  [[ -f "$build/.complete" ]] && return 0
  command -v java >/dev/null || { svc_warn "java not found (apt-get install -y openjdk-17-jre-headless)"; return 1; }
  command -v mvn >/dev/null || { svc_warn "mvn not found (apt-get install -y maven)"; return 1; }
  cache="$(svc_cache_dir registry)"
  rm -rf "$build"
  svc_info "registry: building Apicurio Registry $REGISTRY_VERSION from Maven Central (first time only, a few minutes)"
  # The system trust store: Maven's JVM default may lack the CA of the network's proxy.
  if ! MAVEN_OPTS="${MAVEN_OPTS:-} -Djavax.net.ssl.trustStore=/etc/ssl/certs/java/cacerts" \
    mvn -B -q -f "$REGISTRY_CONF_DIR/pom.xml" -Dmaven.repo.local="$SERVICES_CACHE/m2" \
    -Dregistry.build.dir="$build" -DskipTests \
    -Dquarkus.index-dependency.app.group-id=io.apicurio -Dquarkus.index-dependency.app.artifact-id=apicurio-registry-app \
    package >"$cache/mvn-$REGISTRY_VERSION.log" 2>&1; then
    svc_warn "registry: the Maven build failed; see $cache/mvn-$REGISTRY_VERSION.log"
    tail -n 20 "$cache/mvn-$REGISTRY_VERSION.log" >&2
    return 1
  fi
  [[ -f "$build/apicurio-registry-local-1-runner.jar" ]] || { svc_warn "registry: no runner jar in $build after Maven ran"; return 1; }
  touch "$build/.complete"
}

# A real API round trip: the Confluent-compatible subject list.
registry_answers() {
  curl -fsS --max-time 3 -o /dev/null "$(registry_endpoint)/subjects" 2>/dev/null
}

registry_status() {
  local owner="external (not started by services.sh)"
  svc_pid_alive registry && owner="pid $(cat "$(svc_pidfile registry)")"
  if registry_answers; then
    printf 'Apicurio Registry %s (Confluent API) at %s, %s\n' "$REGISTRY_VERSION" "$(registry_endpoint)" "$owner"
  else
    svc_pid_alive registry && printf 'process %s alive but the API does not answer\n' "$owner"
    return 1
  fi
}

registry_ready_or_dead() {
  svc_pid_alive registry || return 100
  registry_answers
}

registry_up() {
  local state
  state="$(svc_state_dir registry)"
  mkdir -p "$state/logs" "$state/data"
  if svc_pid_alive registry; then
    svc_info "registry: process running but not answering; waiting for it"
    svc_wait_until 90 "the schema registry API" registry_ready_or_dead && return 0
    svc_stop_pidfile registry
  fi
  if svc_port_open "$REGISTRY_PORT"; then
    svc_warn "registry: 127.0.0.1:$REGISTRY_PORT is taken by a process that does not answer as our registry"
    return 1
  fi
  # The app's prod profile reads its H2 URL from REGISTRY_DATASOURCE_URL (default: in memory).
  svc_spawn registry "$(registry_log)" \
    env "REGISTRY_DATASOURCE_URL=jdbc:h2:file:$state/data/registry" \
    java "-Xmx${SLUICE_REGISTRY_HEAP:-384m}" -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$REGISTRY_PORT" \
    -D%prod.quarkus.datasource.jdbc.min-size=2 -D%prod.quarkus.datasource.jdbc.initial-size=2 \
    -jar "$(registry_build_dir)/apicurio-registry-local-1-runner.jar"
  svc_wait_until 120 "the schema registry at $(registry_endpoint)" registry_ready_or_dead || {
    tail -n 20 "$(registry_log)" >&2 || true
    return 1
  }
}

registry_down() {
  svc_stop_pidfile registry 30
}
