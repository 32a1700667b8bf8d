# Shared helpers for scripts/test.sh and scripts/run.sh. Source it; do not run it.
# shellcheck shell=bash

# The system libraries the Swift package links against.
SEJF_SYSTEM_PACKAGES=(libsodium-dev libsqlite3-dev)

# Prints a step header.
sejf_step() {
    printf '\n==> %s\n' "$*"
}

# Installs the given Debian/Ubuntu packages with apt-get, but only those not installed yet.
# `apt-get update` runs only when something is missing; sudo is used only when not root.
sejf_ensure_system_packages() {
    local missing=() package
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "dpkg-query not found: not a Debian/Ubuntu system; make sure these are installed: $*" >&2
        return 0
    fi
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
            missing+=("$package")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "System packages present: $*"
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            echo "Missing packages (${missing[*]}) and not root without sudo: install them and re-run." >&2
            return 1
        fi
    fi
    echo "Installing: ${missing[*]}"
    ${sudo[@]+"${sudo[@]}"} apt-get update
    ${sudo[@]+"${sudo[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}
