#!/usr/bin/env bash
# The soak command: a release build of sejf (the same scratch path as scripts/bench.sh), then
# Tests/soak/soak.py against it with the arguments given. See Tests/soak/README.md.
#
#   scripts/soak.sh                     # 10 minutes
#   scripts/soak.sh --minutes 60        # the long form
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

sejf_step "swift build -c release --product sejf --scratch-path .build-release"
swift build -c release --product sejf --scratch-path .build-release

sejf_step "python3 Tests/soak/soak.py $*"
python3 Tests/soak/soak.py --sejf .build-release/release/sejf "$@"
