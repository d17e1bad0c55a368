#!/usr/bin/env bash
# Fuzzing (cargo fuzz, libFuzzer): builds the targets of fuzz/ and runs each one in turn for
# FUZZ_SECONDS (30 by default; docs/fuzzing.md has the 10-minute runs and how to repeat them),
# starting from the committed corpus in fuzz/corpus/<target>. New inputs go to a scratch copy,
# so a CI run leaves the tree as it was. A crash fails the script and leaves its input in
# target/fuzz/artifacts/<target>/.
#
# cargo-fuzz is installed from crates.io into target/tools when missing. libFuzzer needs
# nightly flags: RUSTC_BOOTSTRAP=1 lets the stable toolchain take them. No sanitizer
# (`-s none`): the crates forbid `unsafe`, so what is looked for is panics — debug assertions
# and overflow checks on (`-a`) — and hangs or runaway memory, which libFuzzer reports itself.
#
# Usage: .ci/fuzz.sh [target...]   (FUZZ_SECONDS=600 for the long runs; FUZZ_LOG=dir to keep
# each run's libFuzzer output)
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${FUZZ_SECONDS:-30}"
TOOLS="$PWD/target/tools/cargo-fuzz"
export PATH="$TOOLS/bin:$PATH"
export RUSTC_BOOTSTRAP=1
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install -q --locked cargo-fuzz --version 0.13.2 --root "$TOOLS"
fi

TARGET_DIR="$PWD/target/fuzz"
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(write_body cursor jwt query ws_frames request_id)
fi
BUILD=(-s none -a --target-dir "$TARGET_DIR")
for t in "${TARGETS[@]}"; do
    (cd fuzz && cargo fuzz build -q "${BUILD[@]}" "$t")
done

for t in "${TARGETS[@]}"; do
    scratch="$TARGET_DIR/scratch/$t"
    artifacts="$TARGET_DIR/artifacts/$t"
    rm -rf "$scratch"
    mkdir -p "$scratch" "$artifacts" "fuzz/corpus/$t"
    log=/dev/stderr
    if [ -n "${FUZZ_LOG:-}" ]; then
        mkdir -p "$FUZZ_LOG"
        log="$FUZZ_LOG/$t.log"
    fi
    echo "fuzz: $t for ${SECONDS_EACH}s"
    # -max_len: bodies up to 64 KiB are read, but the code paths are reached by small inputs;
    # 4 KiB keeps runs fast while still crossing every size limit below it.
    "$TARGET_DIR/x86_64-unknown-linux-gnu/release/$t" "$scratch" "fuzz/corpus/$t" \
        -max_total_time="$SECONDS_EACH" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" 2>"$log" || {
        echo "fuzz: $t FAILED (input in $artifacts/)"
        [ -n "${FUZZ_LOG:-}" ] && tail -n 40 "$log"
        exit 1
    }
    [ -n "${FUZZ_LOG:-}" ] && grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$log" | tail -n 2
done
echo "fuzz: ${#TARGETS[@]} targets, ${SECONDS_EACH}s each, no crash"
