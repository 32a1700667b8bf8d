#!/usr/bin/env bash
# Builds the libFuzzer targets of the Fuzz/ package (with AddressSanitizer) and runs each for a
# bounded time, starting from its seed corpus in Fuzz/corpus/<target>/.
#
#   scripts/fuzz.sh [--seconds N] [TARGET...]    every target (or those named), N seconds each (default 20)
#   scripts/fuzz.sh --seconds 3600 FuzzWireJSON  one target for an hour
#
# New corpus entries go to a temporary directory (the repository's seeds are only read); a
# crashing input is kept and its path printed. Exits 1 when any target crashed, leaked, ran out of
# memory or timed out on an input. Fuzz/README.md describes the targets.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib.sh
source scripts/lib.sh

seconds=20
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
        -h|--help) sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option: $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
if [ "${#targets[@]}" -eq 0 ]; then
    for dir in Fuzz/Sources/Fuzz*/; do
        name="$(basename "$dir")"
        [ "$name" = FuzzSupport ] || targets+=("$name")
    done
fi

# SwiftPM passes `-sanitize=fuzzer -sanitize=address` to swiftc as two flags and the second
# replaces the first, so Swift code would get no coverage instrumentation (libFuzzer would see
# only the C code's edges): ask for the coverage libFuzzer needs explicitly.
build=(swift build --package-path Fuzz --scratch-path Fuzz/.build-fuzz -c debug --sanitize=fuzzer --sanitize=address
       -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp)
sejf_step "Building the fuzz targets (libFuzzer, AddressSanitizer)"
# (Without the linker's warnings about ASan's local symbols, one per symbol and target.)
"${build[@]}" 2>&1 | { grep -v "ld.gold: warning: Cannot export local symbol '__asan_" || true; }
bin="$("${build[@]}" --show-bin-path)"

work="$(mktemp -d "${TMPDIR:-/tmp}/sejf-fuzz.XXXXXX")"
failed=()
for target in "${targets[@]}"; do
    sejf_step "$target for ${seconds}s"
    mkdir -p "$work/$target/corpus" "$work/$target/artifacts"
    log="$work/$target/log"
    if "$bin/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$work/$target/artifacts/" "$work/$target/corpus" "Fuzz/corpus/$target" >"$log" 2>&1; then
        grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(average_exec_per_sec|peak_rss_mb)' "$log" || true
    else
        tail -n 60 "$log"
        echo "$target FAILED; log: $log; input: $(ls "$work/$target/artifacts/"* 2>/dev/null | tr '\n' ' ')" >&2
        failed+=("$target")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "Fuzzing failed: ${failed[*]} (inputs kept in $work)" >&2
    exit 1
fi
rm -rf "$work"
echo "Fuzzing: ${#targets[@]} targets, ${seconds}s each, no crash"
