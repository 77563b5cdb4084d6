#!/usr/bin/env bash
# Copies the project's rules (rules/*.yaml) into deploy/base/rules/, which the kustomization's
# configMapGenerator reads (kustomize refuses files outside deploy/base). Run it after changing
# rules/; test/deploy checks that the copies are identical.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=deploy/base/rules
mkdir -p "$dest"
rm -f "$dest"/*.yaml "$dest"/*.yml
for f in rules/*.yaml rules/*.yml; do
  [ -e "$f" ] || continue
  cp "$f" "$dest/"
done
