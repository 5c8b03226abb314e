#!/usr/bin/env bash
# `npm run demo`: a local pipeline on real services, with live progress.
#   Kafka 4.3.1 and PostgreSQL 15 are started if they are not running (and stopped afterwards),
#   a generator produces Debezium change events (2,000/s, then a burst, then 2,000/s again, as in
#   ../shared/backpressure-article.txt), `sluice run` sinks them into PostgreSQL, and at the end
#   the target is compared with the generator's expected final state.
# Options go to scripts/demo.ts (e.g. npm run demo -- --burst 500000).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[demo] %s\n' "$*" >&2; }

if [[ ! -d node_modules ]]; then
  log "node_modules is missing: npm ci"
  npm ci --no-audit --no-fund
fi

started=()
stop_started() {
  if [[ ${#started[@]} -gt 0 ]]; then
    log "stopping the services the demo started: ${started[*]}"
    scripts/services.sh down "${started[@]}" >/dev/null || true
  fi
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for name in kafka postgres; do
  if scripts/services.sh status "$name" >/dev/null 2>&1; then
    log "$name: already running"
  else
    started+=("$name")
    log "starting $name (first run downloads Kafka from Maven Central and may install PostgreSQL)"
    scripts/services.sh up "$name"
  fi
done

node --import tsx scripts/demo.ts "$@"
