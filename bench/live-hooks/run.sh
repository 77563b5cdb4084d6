#!/usr/bin/env bash
# Hook-choice measurement: wall time of `dd if=/dev/zero of=/dev/null bs=512 count=2000000`
# (4M read/write syscalls, none of them wanted) with each candidate hook attached, divided by
# the time without; medians over RUNS alternating runs. Run as root.
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-7}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[ -f ../../native/bpf/vmlinux.h ] || make -s -C ../../native bpf/vmlinux.h
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I../../native/bpf -c hookcost.bpf.c -o "$out/hookcost.bpf.o"
gcc -O2 loader.c -o "$out/loader" -lbpf -lelf -lz
export HOOKCOST_OBJ="$out/hookcost.bpf.o"

dd_time() { /usr/bin/time -f %e dd if=/dev/zero of=/dev/null bs=512 count=2000000 2>&1 | tail -1; }
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

measure() { # measure <label> <programs...>
  local label=$1; shift
  local base=() with=()
  for _ in $(seq "$RUNS"); do
    base+=("$(dd_time)")
    "$out/loader" "$@" >"$out/ld.out" 2>&1 & local pid=$!
    until grep -q ready "$out/ld.out" 2>/dev/null; do
      kill -0 $pid 2>/dev/null || { cat "$out/ld.out"; exit 1; }
      sleep 0.05
    done
    with+=("$(dd_time)")
    kill $pid; wait $pid || true
  done
  local b w
  b=$(median "${base[@]}"); w=$(median "${with[@]}")
  printf '%-40s without %6ss  with %6ss  ratio %s\n' "$label" "$b" "$w" "$(awk -v b="$b" -v w="$w" 'BEGIN{printf "%.3f", w/b}')"
}

measure "raw_tracepoint sys_exit + filter map" rawtp_exit
measure "tp_btf sys_exit + filter map" btf_exit
measure "per-syscall sys_exit_openat/close" tp_openat tp_close
