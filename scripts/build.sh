#!/usr/bin/env bash
# Generates the condition parser and the syscall event table (from native/events.h; needs a C
# compiler, cc/gcc/clang), then compiles TypeScript into dist/.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/node-env.sh
mkdir -p src/generated
if [ -f grammar/condition.peggy ]; then
  npx peggy --format es --dts -o src/generated/condition-parser.js grammar/condition.peggy
fi
# incremental: does nothing while native/events.h and the generator are unchanged
node scripts/gen-event-table.mjs
npx tsc -p tsconfig.json
chmod +x dist/cli.js 2>/dev/null || true
