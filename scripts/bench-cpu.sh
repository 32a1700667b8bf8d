#!/usr/bin/env bash
# Server CPU per request, for deciding whether a change helps when the machine's speed drifts
# (±15% between consecutive runs of the same binary here, so req/s alone cannot decide).
#
# For each round and each binary in turn (so drift hits both alike), it runs the GetSecretValue
# load of Benchmarks/bench.py against that `sejf` binary and, in the middle of the run, counts
# with `perf stat` on the server process for 6 s: CPU time (task-clock), responses (writev
# calls), fsyncs, pwrite and pread calls. It prints one line per run:
#
#   scripts/bench-cpu.sh --rounds 2 /tmp/sejf-before .build-release/release/sejf
#   sejf-before  req/s 3289  cpu µs/req 542.4  fsync/req 0.250  pwrite/req 11.8  pread/req 12.5
#
# WORKLOAD=put (or mixed, batch) measures another workload. Needs Linux `perf` (Debian's
# linux-perf) with access to syscall tracepoints, as root.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=1
if [[ "${1:-}" == "--rounds" ]]; then rounds=$2; shift 2; fi
if [[ $# -eq 0 ]]; then
    echo "usage: scripts/bench-cpu.sh [--rounds N] SEJF_BINARY [SEJF_BINARY ...]" >&2
    exit 2
fi
command -v perf > /dev/null || { echo "bench-cpu: perf is not installed (apt-get install linux-perf)" >&2; exit 2; }

events=task-clock,syscalls:sys_enter_writev,syscalls:sys_enter_fdatasync,syscalls:sys_enter_pwrite64,syscalls:sys_enter_pread64
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for _ in $(seq "$rounds"); do
    for binary in "$@"; do
        binary=$(realpath "$binary")
        python3 -u Benchmarks/bench.py --sejf "$binary" --targets sejf --workloads "${WORKLOAD:-get}" \
            --duration 16 --warmup 2 > "$work/bench.log" 2>&1 &
        bench=$!
        # The server starts, the data set is written and the warm-up runs before the measured run.
        server=""
        for _ in $(seq 60); do
            sleep 1
            if grep -q "wrk 16s" "$work/bench.log"; then
                # bench.py's own child: another server of the same binary may be running.
                server=$(pgrep -P "$bench" -f "^$binary server" | head -1)
                break
            fi
        done
        if [[ -z "$server" ]]; then
            echo "bench-cpu: the measured run of $binary did not start; see its log:" >&2
            cat "$work/bench.log" >&2
            exit 1
        fi
        sleep 4
        perf stat -x, -e "$events" -p "$server" -- sleep 6 2> "$work/stat.csv"
        wait "$bench"
        python3 - "$(basename "$binary")" "$work/stat.csv" <<'PY'
import sys
counts = {}
for line in open(sys.argv[2]):
    fields = line.strip().split(",")
    if len(fields) > 3 and fields[0].replace(".", "").isdigit():
        counts[fields[2].split(":")[-1]] = float(fields[0])
requests = counts["sys_enter_writev"]
print(f"{sys.argv[1]:12s} req/s {requests / 6:5.0f}  cpu µs/req {counts['task-clock'] * 1000 / requests:6.1f}"
      f"  fsync/req {counts['sys_enter_fdatasync'] / requests:.3f}  pwrite/req {counts['sys_enter_pwrite64'] / requests:4.1f}"
      f"  pread/req {counts['sys_enter_pread64'] / requests:4.1f}")
PY
    done
done
