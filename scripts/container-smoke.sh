#!/usr/bin/env bash
# Runs docker/Dockerfile's build steps without a Docker engine, the way CI can, and prints the
# folder that holds what the image's last stage holds:
#   1. build stage: `npm ci --ignore-scripts` + `npm run build` in a clean copy of the sources;
#   2. deps stage: `npm ci --omit=dev --omit=optional --ignore-scripts` in another clean folder;
#   3. runtime: only dist/ + production node_modules + package.json (checked: no dev tools).
# test/integration/container.test.ts then starts it with the image's entry point and
# environment, checks /healthz and /readyz, and stops it with SIGTERM (expects exit 0).
#   scripts/container-smoke.sh [workdir]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${1:-$(mktemp -d /tmp/sluice-container.XXXXXX)}"
log() { printf '[container] %s\n' "$*" >&2; }

log "workdir $WORK"
rm -rf "$WORK/build" "$WORK/deps" "$WORK/app"
mkdir -p "$WORK/build" "$WORK/deps" "$WORK/app"

log "build stage: npm ci --ignore-scripts && npm run build"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$ROOT/tsconfig.json" "$ROOT/tsconfig.build.json" "$WORK/build/"
cp -r "$ROOT/src" "$ROOT/connectors" "$WORK/build/"
(cd "$WORK/build" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && npm run -s build)

log "deps stage: npm ci --omit=dev --omit=optional --ignore-scripts"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$WORK/deps/"
(cd "$WORK/deps" && npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error)

log "runtime: dist + production node_modules"
cp -r "$WORK/deps/node_modules" "$WORK/build/dist" "$ROOT/package.json" "$WORK/app/"
if [[ -d "$WORK/app/node_modules/tsx" || -d "$WORK/app/node_modules/typescript" ]]; then
  log "FAIL: development dependencies leaked into the runtime"
  exit 1
fi
du -sh "$WORK/app/node_modules" "$WORK/app/dist" >&2
echo "$WORK/app"
