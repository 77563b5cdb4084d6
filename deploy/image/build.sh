#!/usr/bin/env bash
# Builds the Kestrel image from deploy/Containerfile with podman, from the repository root:
# OCI labels and annotations (version from package.json, revision from git, source), the SBOM
# inside the image (/opt/kestrel/sbom), and prints the image's size.
#   deploy/image/build.sh [TAG]        default TAG: localhost/kestrel:<package.json version>
# Base images: by default the local ones deploy/image/base.sh builds without a container
# registry; with one, name official images instead:
#   NODE_IMAGE=docker.io/library/node:24-bookworm RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim deploy/image/build.sh
# The build stage reaches the npm registry and Debian's archive through the host's network
# (--network host), with this machine's npm registry and CA settings.
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(node -p 'require("./package.json").version')
tag=${1:-localhost/kestrel:$version}

if [ -z "${NODE_IMAGE:-}" ] || [ -z "${RUNTIME_IMAGE:-}" ]; then
  mapfile -t base < <(bash deploy/image/base.sh)
  RUNTIME_IMAGE=${RUNTIME_IMAGE:-${base[0]}}
  NODE_IMAGE=${NODE_IMAGE:-${base[1]}}
fi

revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && [ -n "$(git status --porcelain -- package.json package-lock.json tsconfig.json grammar scripts src native rules config deploy/Containerfile)" ]; then
  revision="$revision-dirty"
fi
source=${KESTREL_IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || echo "file://$PWD")}

args=(--network host -f deploy/Containerfile --ignorefile deploy/Containerfile.dockerignore
  --build-arg "NODE_IMAGE=$NODE_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE"
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "SOURCE=$source")
for a in version revision source; do
  # also as --label: a LABEL layer reused from the build cache would keep an older revision
  args+=(--annotation "org.opencontainers.image.$a=${!a}" --label "org.opencontainers.image.$a=${!a}")
done
registry=$(npm config get registry 2>/dev/null || true)
[ -n "$registry" ] && args+=(--build-arg "NPM_REGISTRY=$registry")
cafile=$(npm config get cafile 2>/dev/null || true)
# npm run by the project's pinned node does not read the machine's global npmrc (its prefix is the
# pinned package), so fall back to the CA bundle Node is told to trust, then the system's.
if [ -z "$cafile" ] || [ "$cafile" = null ]; then cafile=${NODE_EXTRA_CA_CERTS:-}; fi
if [ -z "$cafile" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then cafile=/etc/ssl/certs/ca-certificates.crt; fi
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -f "$cafile" ]; then
  args+=(-v "$cafile:/run/kestrel-build/npm-ca.crt:ro" --build-arg NPM_CAFILE=/run/kestrel-build/npm-ca.crt)
fi

podman build "${args[@]}" -t "$tag" . >&2
size=$(podman image inspect --format '{{.Size}}' "$tag")
echo "deploy/image/build.sh: $tag $((size / 1000000)) MB (node $(podman run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --entrypoint node "$tag" --version))" >&2
echo "$tag"
