#!/usr/bin/env bash
# Makes a fresh clone runnable: dependencies, generated parser, TypeScript build.
# Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/build.sh
