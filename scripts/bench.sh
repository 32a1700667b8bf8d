#!/usr/bin/env bash
# The benchmark command: wrk (apt) and the Python tools if missing, release builds of sejf and of
# the ceiling server (Benchmarks/ceiling), then Benchmarks/bench.py with the arguments given.
# Without --out, the results go to Benchmarks/results/<UTC date>.json. See Benchmarks/README.md.
#
#   scripts/bench.sh                                  # everything: sejf, moto, ceiling; 1,000 secrets, 10 s, 64 connections
#   scripts/bench.sh --targets sejf --workloads get   # one part
#   scripts/bench.sh --quick                          # the smallest configuration: proves the harness works
#   scripts/bench.sh --scale                          # 1,000 secrets vs 100,000 x 5 versions + 10M audit events (seeded by
#                                                     # Benchmarks/tools' sejf-seed): GetSecretValue, ListSecrets, audit who-read
#   scripts/bench.sh --scale --quick                  # the same with 50 x 2 and 1,000 events: proves the scale harness works
#
# The micro-benchmarks of the hot path are scripts/bench-micro.sh.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

# The same pins as scripts/test.sh.
BENCH_PYTHON_TOOLS=(boto3==1.43.11 "moto[server]==5.2.1")

sejf_step "System packages (${SEJF_SYSTEM_PACKAGES[*]} wrk)"
sejf_ensure_system_packages "${SEJF_SYSTEM_PACKAGES[@]}" wrk

if python3 -c 'import boto3, botocore, moto, flask' >/dev/null 2>&1 && command -v moto_server >/dev/null 2>&1; then
    echo "Python tools present: boto3, moto_server"
else
    sejf_step "Python tools (${BENCH_PYTHON_TOOLS[*]})"
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check "${BENCH_PYTHON_TOOLS[@]}"
fi

# Separate scratch paths: these builds do not take the lock of .build, which the debug build and
# the tests use.
sejf_step "swift build -c release --product sejf --scratch-path .build-release"
swift build -c release --product sejf --scratch-path .build-release

scale=false
has_out=false
for arg in "$@"; do
    case "$arg" in
        --scale) scale=true ;;
        --out|--out=*) has_out=true ;;
    esac
done

args=("$@")
if $scale; then
    # The seeding tool is in a package of its own (Benchmarks/tools), with its own scratch path.
    sejf_step "swift build -c release --package-path Benchmarks/tools --scratch-path Benchmarks/tools/.build-tools --product sejf-seed"
    swift build -c release --package-path Benchmarks/tools --scratch-path Benchmarks/tools/.build-tools --product sejf-seed
    args+=(--seed-tool Benchmarks/tools/.build-tools/release/sejf-seed)
    $has_out || args+=(--out "Benchmarks/results/$(date -u +%F)-scale.json")
else
    sejf_step "swift build -c release --package-path Benchmarks/ceiling --scratch-path .build-ceiling"
    swift build -c release --package-path Benchmarks/ceiling --scratch-path .build-ceiling
    $has_out || args+=(--out "Benchmarks/results/$(date -u +%F).json")
fi

sejf_step "python3 Benchmarks/bench.py ${args[*]}"
python3 Benchmarks/bench.py --sejf .build-release/release/sejf --ceiling .build-ceiling/release/ceiling "${args[@]}"
