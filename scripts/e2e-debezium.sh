#!/usr/bin/env bash
# The real Debezium end-to-end test on its own (`npm run e2e:debezium`):
# PostgreSQL → Debezium PostgreSQL connector (Kafka Connect standalone) → Kafka → sluice → PostgreSQL,
# compared row by row (test/e2e/debezium/, docs/debezium-e2e.md).
#
#   scripts/e2e-debezium.sh [node --test options...]
#
# Starts the services it needs that are not running yet (kafka, postgres, connect) and stops
# exactly those at the end; services that were already up stay up. Extra arguments go to
# `node --test`. SLUICE_DEBEZIUM_SEED chooses the workload; SLUICE_TEST_LOG_LEVEL=info shows
# sluice's log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '[e2e:debezium] %s\n' "$*" >&2; }

[[ -d node_modules ]] || npm ci --no-audit --no-fund

started=()
stop_started() {
  if [[ ${#started[@]} -gt 0 ]]; then
    log "stopping the services this run started: ${started[*]}"
    "$ROOT/scripts/services.sh" down "${started[@]}" || log "WARNING: could not stop ${started[*]} cleanly"
  fi
}
trap stop_started EXIT
trap 'exit 130' INT

for name in kafka postgres connect; do
  if ! "$ROOT/scripts/services.sh" status "$name" >/dev/null 2>&1; then
    "$ROOT/scripts/services.sh" up "$name"
    started+=("$name")
  fi
done

node --import tsx --test --test-reporter=spec "$@" test/e2e/debezium/*.test.ts
