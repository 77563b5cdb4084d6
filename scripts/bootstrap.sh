#!/usr/bin/env bash
# Makes a fresh clone runnable: dependencies, generated parser, TypeScript build, and the
# native eBPF collector (system packages via apt when root, then scripts/build-native.sh).
# Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-packages.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # npm 11 refuses a lockfile that lacks other platforms' optional packages (e.g. @rollup/rollup-darwin-*),
  # which a registry mirror holding only this platform's packages cannot record. The locked versions
  # are still what gets installed: `npm install --no-save` follows package-lock.json and leaves it as is.
  if ! npm ci --no-audit --no-fund 2>/tmp/kestrel-npm-ci.log; then
    if grep -q 'Missing: @' /tmp/kestrel-npm-ci.log; then
      echo "bootstrap: npm ci refused the lockfile (other platforms' optional packages absent); installing the locked versions with npm install --no-save" >&2
      npm install --no-save --no-audit --no-fund
    else
      cat /tmp/kestrel-npm-ci.log >&2
      exit 1
    fi
  fi
fi
bash scripts/build.sh
bash scripts/build-native.sh --quiet
