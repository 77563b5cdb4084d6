#!/usr/bin/env bash
# Makes a fresh clone runnable: dependencies, generated parser, TypeScript build, and the
# native eBPF collector (system packages via apt when root, then scripts/build-native.sh).
# Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-packages.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/build.sh
bash scripts/build-native.sh --quiet
