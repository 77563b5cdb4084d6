#!/usr/bin/env bash
# Debian packages the live syscall source needs: the BPF/addon toolchain (clang, llvm, libbpf-dev,
# bpftool, libelf-dev, zlib1g-dev, make, g++, python3 for node-gyp) and, for its container tests,
# podman, runc and busybox-static, and debootstrap for the image's base (deploy/image/base.sh);
# prometheus and prometheus-alertmanager for the end-to-end alerting test
# (test/deploy/prometheus-e2e.test.ts; their services are not started); sysdig and
# libfalcosecurity0-dev (libscap/libsinsp) as the real .scap reader the scap tests check Kestrel's
# files against, and for bench/vs-libsinsp (sysdig only reads files: no kernel driver is needed);
# libtbb-dev, libjsoncpp-dev and libcurl4-openssl-dev, the headers libsinsp's own headers include
# (bench/vs-libsinsp and its test build a program against libsinsp);
# lld-14 (wasm-ld) to check the committed WebAssembly audit body scanner against its C source.
# As root, installs whatever is missing (apt-get update first); otherwise prints one message
# naming what to install and carries on (the syscall source then reports itself unavailable and
# its tests skip, saying why).
set -euo pipefail

missing_build=()
missing_test=()
missing_plain=()   # installed without recommends
need() { # need <list> <package> <probe...>
  local list=$1 pkg=$2; shift 2
  if ! "$@" >/dev/null 2>&1; then eval "$list+=(\"$pkg\")"; fi
}
has_cmd() { command -v "$1" || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
static_busybox() { [ -x /bin/busybox ] && ! ldd /bin/busybox; }

need missing_build clang has_cmd clang
need missing_build llvm has_cmd llc
need missing_build libbpf-dev test -f /usr/include/bpf/libbpf.h
need missing_build bpftool has_cmd bpftool
need missing_build libelf-dev test -f /usr/include/libelf.h
need missing_build zlib1g-dev test -f /usr/include/zlib.h
need missing_build make has_cmd make
need missing_build g++ has_cmd g++
need missing_build python3 has_cmd python3
need missing_test podman has_cmd podman
need missing_test runc has_cmd runc
need missing_test busybox-static static_busybox
need missing_test debootstrap has_cmd debootstrap
need missing_plain prometheus has_cmd prometheus
need missing_plain prometheus-alertmanager has_cmd prometheus-alertmanager
need missing_plain lld-14 has_cmd wasm-ld-14
need missing_plain sysdig has_cmd sysdig
need missing_plain libtbb-dev test -f /usr/include/tbb/concurrent_queue.h
need missing_plain libjsoncpp-dev test -f /usr/include/jsoncpp/json/json.h
need missing_plain libcurl4-openssl-dev test -f /usr/include/x86_64-linux-gnu/curl/curl.h
need missing_plain libfalcosecurity0-dev test -f /usr/include/falcosecurity-libs/driver/ppm_events_public.h

if [ ${#missing_build[@]} -eq 0 ] && [ ${#missing_test[@]} -eq 0 ] && [ ${#missing_plain[@]} -eq 0 ]; then exit 0; fi

all=("${missing_build[@]}" "${missing_test[@]}" "${missing_plain[@]}")
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "kestrel: the eBPF syscall collector and its tests need packages that are not installed: ${all[*]}" \
       "(as root: apt-get install ${all[*]}); continuing without the live syscall source and the tests that need them" >&2
  exit 0
fi

echo "kestrel: installing ${all[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing_build[@]} -gt 0 ] || [ ${#missing_plain[@]} -gt 0 ]; then
  apt-get install -y -qq --no-install-recommends "${missing_build[@]}" "${missing_plain[@]}" >/dev/null
fi
if [ ${#missing_test[@]} -gt 0 ]; then
  # podman's recommended packages bring its network backend and init
  apt-get install -y -qq "${missing_test[@]}" >/dev/null
fi
