#!/usr/bin/env bash
# A busy host for SECONDS, for the capture the comparison with libsinsp runs on (run.mjs records
# while this runs): package downloads and unpacking (apt-get download, dpkg-deb), a C build
# (make -j2 over generated sources), a container started and run (podman, busybox image imported
# under a unique name), loopback HTTP traffic (python3 http.server and curl, port chosen free), and
# file walks over /usr/include. Each activity loops until the time is up; everything made is under
# one temporary directory, removed at the end with the image and container.
#
#   bash bench/vs-libsinsp/busy-host.sh [SECONDS]    (root, for apt-get and podman)
set -u
seconds=${1:-20}
end=$((SECONDS + seconds))
tmp=$(mktemp -d /tmp/kestrel-busy.XXXXXX)
tag=kestrel-busy-$RANDOM$RANDOM
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  podman rm -f "$tag" >/dev/null 2>&1
  podman rmi -f "localhost/$tag" >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT
running() { [ $SECONDS -lt $end ]; }

packages() {
  mkdir -p "$tmp/apt" && cd "$tmp/apt" || return
  while running; do
    apt-get download -qq zlib1g-dev libtbb-dev libjsoncpp-dev libcurl4-openssl-dev >/dev/null 2>&1
    for deb in *.deb; do [ -f "$deb" ] && dpkg-deb -x "$deb" "x-$deb"; done
    rm -rf ./*.deb x-*
  done
}

build() {
  mkdir -p "$tmp/build" && cd "$tmp/build" || return
  for i in $(seq 1 12); do
    printf '#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\nint f%d(const char*s){return (int)strlen(s)*%d;}\n' "$i" "$i" >"f$i.c"
  done
  printf 'all: $(patsubst %%.c,%%.o,$(wildcard *.c))\n\tcc -shared -o libf.so *.o\n%%.o: %%.c\n\tcc -O2 -fPIC -c $< -o $@\n' >Makefile
  while running; do make -s -j2 >/dev/null 2>&1; make -s clean >/dev/null 2>&1 || rm -f ./*.o libf.so; done
}

container() {
  command -v podman >/dev/null && [ -x /bin/busybox ] || return
  mkdir -p "$tmp/rootfs/bin" && cp /bin/busybox "$tmp/rootfs/bin/" || return
  tar -C "$tmp/rootfs" -c . | podman import - "localhost/$tag" >/dev/null 2>&1 || return
  while running; do
    podman run --rm --name "$tag" --cgroup-manager cgroupfs --runtime runc --ulimit nofile=1024:1024 \
      --ulimit nproc=1024:1024 "localhost/$tag" /bin/busybox sh -c '/bin/busybox ls /bin; /bin/busybox cat /etc/hostname' >/dev/null 2>&1
  done
}

network() {
  command -v python3 >/dev/null && command -v curl >/dev/null || return
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$tmp/www" && head -c 65536 /dev/urandom >"$tmp/www/blob"
  (cd "$tmp/www" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
  local server=$!
  trap 'kill $server 2>/dev/null; exit' TERM
  while running; do curl -s -o /dev/null "http://127.0.0.1:$port/blob" || sleep 0.1; done
  kill $server 2>/dev/null
}

files() {
  while running; do find /usr/include -name '*.h' -size -8k -print0 2>/dev/null | head -z -n 400 | xargs -0 cat >/dev/null; done
}

for job in packages build container network files; do
  $job &
  pids+=($!)
done
while running; do sleep 1; done
