#!/usr/bin/env bash
# The test command (`npm test`, `npm run test:unit`). Does its own set-up on a fresh machine.
#
#   scripts/test.sh [all|unit]        all (default): unit, simulation, conformance, integration, e2e
#                                     unit: unit + simulation only, no services
#
# - `npm ci` when node_modules is missing.
# - all, with SLUICE_TEST_SERVICES=local (default): starts each service of $SLUICE_TEST_NEEDS
#   (default: `scripts/services.sh list`, i.e. $SLUICE_SERVICES or the default set) that is not
#   already answering, and stops
#   exactly those at the end, whatever the outcome. Services that were already running stay up.
#   With SLUICE_TEST_SERVICES=testcontainers the tests start containers themselves.
# - Runs Node's test runner, one file at a time, spec reporter on stdout; a TAP copy goes to
#   test-artifacts/node-test.log and its summary (# tests/pass/fail ..., then "N passed, N failed")
#   is printed last.
# - Exits with the test runner's status.
# Extra arguments after the suite name go to `node --test` (e.g. --test-name-pattern=Kafka).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

suite="${1:-all}"
[[ $# -gt 0 ]] && shift
case "$suite" in
  all) folders=(unit simulation conformance integration e2e) ;;
  unit) folders=(unit simulation) ;;
  *)
    echo "usage: scripts/test.sh [all|unit] [node --test options...]" >&2
    exit 2
    ;;
esac

log() { printf '[test] %s\n' "$*" >&2; }

if [[ ! -d node_modules ]]; then
  log "node_modules is missing: npm ci"
  npm ci --no-audit --no-fund
fi

# Node 20's `node --test` does not expand globs (Node 21+ does) and fails on a path that matches
# nothing, so the files are listed here, sorted, from the folders that exist.
files=()
for folder in "${folders[@]}"; do
  [[ -d "test/$folder" ]] || continue
  while IFS= read -r file; do files+=("$file"); done < <(find "test/$folder" -type f -name '*.test.ts' | LC_ALL=C sort)
done
if [[ ${#files[@]} -eq 0 ]]; then
  log "no test files (*.test.ts) under test/{$(IFS=,; echo "${folders[*]}")}"
  exit 1
fi

started=()
stop_started() {
  if [[ ${#started[@]} -gt 0 ]]; then
    log "stopping the services this run started: ${started[*]}"
    "$ROOT/scripts/services.sh" down "${started[@]}" || log "WARNING: could not stop ${started[*]} cleanly"
  fi
}
trap stop_started EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mode="${SLUICE_TEST_SERVICES:-local}"
if [[ "$suite" == all && "$mode" == local ]]; then
  read -r -a needs <<<"${SLUICE_TEST_NEEDS:-$("$ROOT/scripts/services.sh" list)}"
  for name in "${needs[@]}"; do
    if "$ROOT/scripts/services.sh" status "$name" >/dev/null 2>&1; then
      log "$name: already running (left running afterwards)"
    else
      # Remembered before `up`, so a half-started service is still stopped at exit.
      started+=("$name")
      "$ROOT/scripts/services.sh" up "$name"
    fi
  done
fi

mkdir -p test-artifacts
output="test-artifacts/node-test.log"
log "node --test: ${#files[@]} files under test/{$(IFS=,; echo "${folders[*]}")}"
status=0
# --test-force-exit: a test file whose tests all finished is not held open by a client library's
# lingering socket or timer (seen once: a file's tests passed in 22 s, then the process stayed up
# until the timeout). Real hangs inside a test still fail by --test-timeout, which allows the
# slowest emulator-backed suites (BigQuery conformance: 105-320 s on a loaded machine).
# One reporter (spec) to stdout, copied to a file: with --test-force-exit a second, file-backed
# reporter loses its closing summary.
set +e
node --import tsx --test --test-concurrency=1 --test-force-exit --test-timeout="${SLUICE_TEST_TIMEOUT_MS:-600000}" \
  --test-reporter=spec "$@" "${files[@]}" 2>&1 | tee "$output"
status=${PIPESTATUS[0]}
set -e

# The runner's own closing lines (ℹ tests/pass/fail …), repeated last with the plain form.
summary() { grep -E "^ℹ $1 [0-9]+" "$output" | tail -n 1 | awk '{print $3}'; }
echo
echo "---- test summary ($suite; full output: $output) ----"
for field in tests suites pass fail cancelled skipped todo duration_ms; do
  value="$(summary "$field")"
  [[ -n "$value" ]] && echo "# $field $value"
done
passed="$(summary pass)"; failed="$(summary fail)"
echo "${passed:-0} passed, ${failed:-0} failed"
if [[ $status -ne 0 ]]; then
  echo "---- FAILED (exit $status). Service logs: .services/*/log*/ (scripts/services.sh logs <name>) ----"
fi
exit "$status"
