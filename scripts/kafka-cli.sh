#!/usr/bin/env bash
# Run one of Kafka's command-line classes from the same jars as the local broker.
#
#   scripts/kafka-cli.sh <MainClass|alias> [args...]
#
# Aliases: topics (org.apache.kafka.tools.TopicCommand), consumer-groups
# (org.apache.kafka.tools.consumer.group.ConsumerGroupCommand), producer-perf
# (org.apache.kafka.tools.ProducerPerformance), consumer-perf (org.apache.kafka.tools.ConsumerPerformance),
# connect-standalone (org.apache.kafka.connect.cli.ConnectStandalone), storage (kafka.tools.StorageTool).
# Example: scripts/kafka-cli.sh consumer-groups --bootstrap-server 127.0.0.1:9092 --describe --group g1
# JVM heap: $KAFKA_CLI_HEAP (default 256m). Logging: warnings to stderr.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${SLUICE_CACHE_DIR:-$ROOT/.cache}"

if [[ $# -lt 1 ]]; then
  sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi

main_class="$1"
shift
case "$main_class" in
  topics) main_class=org.apache.kafka.tools.TopicCommand ;;
  consumer-groups) main_class=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
  producer-perf) main_class=org.apache.kafka.tools.ProducerPerformance ;;
  consumer-perf) main_class=org.apache.kafka.tools.ConsumerPerformance ;;
  connect-standalone) main_class=org.apache.kafka.connect.cli.ConnectStandalone ;;
  storage) main_class=kafka.tools.StorageTool ;;
esac

lib_for() { [[ -f "$CACHE/kafka/lib-$1/.complete" ]] && printf '%s\n' "$CACHE/kafka/lib-$1"; }
lib="$(lib_for "${SLUICE_KAFKA_VERSION:-4.3.1}" || lib_for 3.9.1 || true)"
if [[ -z "$lib" ]]; then
  "$ROOT/scripts/services.sh" install kafka
  lib="$(lib_for "${SLUICE_KAFKA_VERSION:-4.3.1}" || lib_for 3.9.1)"
fi

# Kafka 3.x logs through log4j 1 (reload4j), 4.x through log4j2.
logging="-Dlog4j2.configurationFile=$ROOT/docker/local/kafka/tools-log4j2.properties"
[[ "$lib" == */lib-3.* ]] && logging="-Dlog4j.configuration=file:$ROOT/docker/local/kafka/tools-log4j.properties"

exec java "-Xmx${KAFKA_CLI_HEAP:-256m}" -cp "$lib/*" "$logging" "$main_class" "$@"
