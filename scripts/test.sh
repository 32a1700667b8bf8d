#!/usr/bin/env bash
# The test command: system libraries, Python test tools, swift build, swift test, Python tests.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

PYTHON_TEST_TOOLS=(
    pytest==9.0.3
    jsonschema==4.26.0
    PyYAML==6.0.3
    boto3==1.43.11
    awscli==1.45.11
    moto==5.2.1
    python-dotenv==1.2.2
    requests==2.34.2
    aws-secretsmanager-caching==1.2.0
    kubernetes-validate==1.37.0
)

# PostgreSQL 15 for the rotation tests (each test starts its own private server: initdb in a
# temporary directory, as the postgres user, on a free loopback port; none is started here),
# and wrk for the benchmark harness check.
TEST_SYSTEM_PACKAGES=(postgresql-15 wrk)

sejf_step "System packages (${SEJF_SYSTEM_PACKAGES[*]} ${TEST_SYSTEM_PACKAGES[*]})"
sejf_ensure_system_packages "${SEJF_SYSTEM_PACKAGES[@]}" "${TEST_SYSTEM_PACKAGES[@]}"

sejf_step "Python test tools (pinned; pip does nothing when they are already installed)"
PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check "${PYTHON_TEST_TOOLS[@]}"

sejf_step "swift build"
swift build

sejf_step "swift test"
swift test

sejf_step "python3 -m pytest -q Tests/python Tests/compat (schemas; real boto3, AWS CLI and caching clients against sejf server)"
python3 -m pytest -q -p no:cacheprovider Tests/python Tests/compat

# Fuzzing (Fuzz/README.md): an AddressSanitizer build of the libraries in Fuzz/.build-fuzz, then
# every libFuzzer target for a short bounded time from its seed corpus; a crash fails the run and
# prints the input. An hour of one target: scripts/fuzz.sh --seconds 3600 TARGET.
sejf_step "scripts/fuzz.sh --seconds 20 (every fuzz target)"
scripts/fuzz.sh --seconds 20

sejf_step "All tests passed"
