#!/usr/bin/env bash
# Hook-choice measurement: CPU time of `dd if=/dev/zero of=/dev/null bs=512 count=2000000`
# (4M read/write syscalls, none of them wanted) with each candidate hook attached, divided by
# the time without; medians over RUNS alternating runs. Run as root. First says whether this
# kernel loads the hooks that would avoid the syscall-tracepoint slow path (BPF LSM, fexit).
set -euo pipefail
cd "$(dirname "$0")"
RUNS=${RUNS:-7}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
[ -f ../../native/bpf/vmlinux.h ] || make -s -C ../../native bpf/vmlinux.h
clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I../../native/bpf -c hookcost.bpf.c -o "$out/hookcost.bpf.o"
gcc -O2 loader.c -o "$out/loader" -lbpf -lelf -lz
export HOOKCOST_OBJ="$out/hookcost.bpf.o"

# dd's CPU time (user + system), not its wall time: on a shared machine the wall time mostly
# measures what the other tenants do; the hook's cost is in dd's system time.
dd_time() { /usr/bin/time -f '%U %S' dd if=/dev/zero of=/dev/null bs=512 count=2000000 2>&1 | tail -1 | awk '{printf "%.2f", $1 + $2}'; }
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

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# hooks that would not need the syscall-tracepoint slow path, if this kernel let them load
for prog in lsm_file_open fexit_openat; do
  timeout 3 "$out/loader" "$prog" >"$out/ld.out" 2>&1 || true
  if grep -q ready "$out/ld.out"; then echo "$prog: loads and attaches"
  else echo "$prog: refused: $(grep -E '^(load|attach):' "$out/ld.out") (BPF_PROG_LOAD, before verification: empty verifier log)"; fi
done
measure "tp_btf sched_process_exec (not a syscall)" btf_exec
measure "raw_tracepoint sys_exit, empty program" rawtp_exit_empty
measure "raw_tracepoint sys_exit + filter map" rawtp_exit
measure "tp_btf sys_exit + filter map" btf_exit
measure "per-syscall sys_exit_openat/close" tp_openat tp_close
