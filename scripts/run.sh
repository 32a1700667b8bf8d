#!/usr/bin/env bash
# The run command: build the release binary, initialise a data directory from environments/*.yaml
# (once), and store and read back a demo secret in dev.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

SEJF_DATA="${SEJF_DATA:-$PWD/sejf-data}"
SEJF=.build/release/sejf

sejf_step "System packages (${SEJF_SYSTEM_PACKAGES[*]})"
sejf_ensure_system_packages "${SEJF_SYSTEM_PACKAGES[@]}"

sejf_step "swift build -c release --product sejf"
swift build -c release --product sejf

if [ -f "$SEJF_DATA/sejf.db" ]; then
    sejf_step "Data directory $SEJF_DATA already initialised"
else
    sejf_step "sejf init --data $SEJF_DATA --definitions environments"
    "$SEJF" init --data "$SEJF_DATA" --definitions environments
fi

sejf_step "sejf secret put demo/greeting --env dev"
"$SEJF" secret put demo/greeting --env dev --data "$SEJF_DATA" --value 'hello from sejf'

sejf_step "sejf secret get demo/greeting --env dev"
"$SEJF" secret get demo/greeting --env dev --data "$SEJF_DATA"

sejf_step "sejf env list"
"$SEJF" env list --data "$SEJF_DATA"

sejf_step "Done"
echo "The binary is $PWD/$SEJF. To use this data directory from your shell:"
echo "  export SEJF_DATA=$SEJF_DATA"
