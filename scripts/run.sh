#!/usr/bin/env bash
# The run command: build the release binary, initialise a data directory from environments/*.yaml
# (once), store and read back a demo secret in dev, then serve the AWS Secrets Manager API on
# loopback until Ctrl-C.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

SEJF_DATA="${SEJF_DATA:-$PWD/sejf-data}"
SEJF_LISTEN="${SEJF_LISTEN:-127.0.0.1:8780}"
SEJF=.build/release/sejf
CREDENTIALS="$SEJF_DATA/aws-credentials"

sejf_step "System packages (${SEJF_SYSTEM_PACKAGES[*]})"
sejf_ensure_system_packages "${SEJF_SYSTEM_PACKAGES[@]}"

sejf_step "swift build -c release --product sejf"
swift build -c release --product sejf

if [ -f "$SEJF_DATA/sejf.db" ]; then
    sejf_step "Data directory $SEJF_DATA already initialised"
else
    sejf_step "sejf init --data $SEJF_DATA --definitions environments"
    # The admin's first access key is shown once: keep it as an AWS profile `sejf`, owner-only.
    report=$("$SEJF" init --data "$SEJF_DATA" --definitions environments --output json)
    (umask 077 && python3 -c '
import json, sys
r = json.loads(sys.argv[1])
print("[sejf]\naws_access_key_id = %s\naws_secret_access_key = %s" % (r["AccessKeyId"], r["SecretAccessKey"]))
' "$report" > "$CREDENTIALS")
    "$SEJF" env list --data "$SEJF_DATA"
    echo "The admin's access key is in $CREDENTIALS (profile sejf, mode 0600)."
fi

sejf_step "sejf secret put demo/greeting --env dev"
"$SEJF" secret put demo/greeting --env dev --data "$SEJF_DATA" --value 'hello from sejf'

sejf_step "sejf secret get demo/greeting --env dev"
"$SEJF" secret get demo/greeting --env dev --data "$SEJF_DATA"

sejf_step "sejf server --listen $SEJF_LISTEN (Ctrl-C stops it)"
cat <<HINT
In another shell:
  export AWS_SHARED_CREDENTIALS_FILE=$CREDENTIALS AWS_PROFILE=sejf
  aws --endpoint-url http://$SEJF_LISTEN --region dev secretsmanager get-secret-value --secret-id demo/greeting
  SEJF_ENDPOINT=http://$SEJF_LISTEN $PWD/$SEJF secret list --env dev
HINT
exec "$SEJF" server --data "$SEJF_DATA" --listen "$SEJF_LISTEN"
