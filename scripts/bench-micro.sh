#!/usr/bin/env bash
# The micro-benchmarks of the request hot path (Benchmarks/tools/Benchmarks/SejfMicro, with
# ordo-one/benchmark 1.38.1): SigV4 verification of a GetSecretValue request, envelope open and
# seal, the access-control decision, and an audit event's chain link and JSON encoding. The
# benchmark plugin builds them in release mode, in Benchmarks/tools/.build-tools (a scratch path of
# their own: this neither takes the lock of .build nor builds the main package's server).
# See Benchmarks/README.md.
#
#   scripts/bench-micro.sh                                  # every benchmark, a text table on stdout
#   scripts/bench-micro.sh --filter 'SigV4.*'               # one of them
#   scripts/bench-micro.sh --format markdown                # any other option of `swift package benchmark run`
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

sejf_step "System packages (${SEJF_SYSTEM_PACKAGES[*]})"
sejf_ensure_system_packages "${SEJF_SYSTEM_PACKAGES[@]}"

sejf_step "swift package --package-path Benchmarks/tools benchmark run --target SejfMicro $*"
swift package --package-path Benchmarks/tools --scratch-path Benchmarks/tools/.build-tools \
    benchmark run --target SejfMicro --no-progress "$@"
