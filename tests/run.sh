#!/usr/bin/env bash
# The project's test command (README.md): lint, unit and integration tests of the
# wrapper with real zig, Nix parse/evaluation tests, and the cross-compilation matrix.
#
#   tests/run.sh            everything
#   tests/run.sh --quick    everything but the builds of the corpus (matrix, reproducibility,
#                           release): minutes instead of most of an hour
#
# Needs: a Rust toolchain (cargo, clippy, rustfmt), zig (NIXCROSS_ZIG, or pip's ziglang),
# nix-instantiate, and for the matrix Debian's rustc-web/cargo-web/rust-web-src,
# qemu-user-static and wine, and cmake, nasm, pkg-config and libclang for build scripts' tools.
# .ci/run installs all of them.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=0
[[ ${1:-} == --quick ]] && quick=1

cache=${NIXCROSS_TEST_CACHE:-$HOME/.cache/nixcross-tests}
mkdir -p "$cache"
passed=0
failed=0
not_run=0  # cells deliberately not run (each said so loudly where it was skipped)
failures=()

# Each step's wall time is printed when the next one starts, and the total at the end.
started_all=$SECONDS
step_name=""
step_started=$SECONDS
step_done() {
  if [[ -n $step_name ]]; then echo "--- $step_name: $((SECONDS - step_started)) s"; fi
  step_name=""
}
step() { step_done; echo; echo "=== $*"; step_name=$1; step_started=$SECONDS; }
record() { # name exit-code passed-count failed-count
  passed=$((passed + $3)); failed=$((failed + $4))
  if [[ $2 -ne 0 || $4 -ne 0 ]]; then failures+=("$1"); fi
  if [[ $2 -ne 0 && $4 -eq 0 ]]; then failed=$((failed + 1)); fi
}

if [[ -z ${NIXCROSS_ZIG:-} ]]; then
  NIXCROSS_ZIG=$(python3 -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))' 2>/dev/null) || true
fi
if [[ -z ${NIXCROSS_ZIG:-} || ! -x $NIXCROSS_ZIG ]]; then
  echo "tests/run.sh: zig not found: pip install ziglang==0.17.1 or set NIXCROSS_ZIG (bash .ci/run installs everything)" >&2
  exit 1
fi
export NIXCROSS_ZIG
echo "zig: $NIXCROSS_ZIG ($("$NIXCROSS_ZIG" version))"

step "cargo fmt --check"
cargo fmt --all --check; rc=$?; record fmt $rc $((rc == 0)) 0

step "cargo clippy -D warnings"
cargo clippy --release --all-targets --locked -- -D warnings; rc=$?; record clippy $rc $((rc == 0)) 0

step "Nix formatting (the flake's formatter, crates/nixfmt)"
cargo run --release --locked -q -p nixcross-nixfmt -- --check .; rc=$?
record "nix formatting" $rc $((rc == 0)) 0

step "macOS stubs: the committed files are what the generator writes from sources.json"
cargo run --release --locked -q -p nixcross-stubgen -- generate --check; rc=$?
record stubgen $rc $((rc == 0)) 0

step "Nix: parse and evaluation tests"
bash tests/nix/run.sh; rc=$?
record nix $rc 0 0
[[ $rc -eq 0 ]] && passed=$((passed + 1))

prewarmed=0
if [[ $quick -eq 0 ]]; then
  step "sysroots with std for the six targets (cached in $cache/sysroots)"
  cargo build --release --locked -q -p nixcross -p nixcross-stubgen
  bash tests/harness/build-sysroots.sh "$cache/sysroots" "$root/target/release/nixcross"; rc=$?
  record sysroots $rc 0 0
  if [[ $rc -eq 0 ]]; then
    step "prewarm: zig's libc built once per target (nixcross prewarm, kept in $cache/prewarmed)"
    # Debian's rustc with the test sysroot stands in for the user's toolchain.
    printf '#!/bin/sh\nexec /usr/bin/rustc --sysroot "%s" "$@"\n' "$cache/sysroots/full" >"$cache/rustc-full"
    chmod +x "$cache/rustc-full"
    for t in x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-pc-windows-gnu \
      aarch64-pc-windows-gnullvm x86_64-apple-darwin aarch64-apple-darwin; do
      if env -u RUSTFLAGS CARGO=/usr/bin/cargo RUSTC="$cache/rustc-full" \
        "$root/target/release/nixcross" prewarm --target "$t" --out "$cache/prewarmed"; then
        record "prewarm $t" 0 1 0
      else
        record "prewarm $t" 1 0 1
      fi
    done
    # Every link below starts from the prewarmed libc (the integration tests' own links
    # too, where they do not test a cold cache on purpose).
    export NIXCROSS_PREWARMED_CACHE="$cache/prewarmed"
    prewarmed=1
  fi
fi

step "cargo test (unit tests, and integration tests with real zig)"
out=$(cargo test --release --locked --no-fail-fast -- --include-ignored 2>&1); rc=$?
echo "$out" | grep -E '^test |^test result|panicked|^failures' || echo "$out" | tail -30
p=$(echo "$out" | sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' | paste -sd+ | bc)
f=$(echo "$out" | sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' | paste -sd+ | bc)
record "cargo test" $rc "${p:-0}" "${f:-0}"

if [[ $quick -eq 0 && $prewarmed -eq 1 ]]; then
    # The SOURCE_DATE_EPOCH Nix's stdenv sets (repro.py compares the matrix's build with
    # its own).
    export SOURCE_DATE_EPOCH=315532800

    step "matrix: corpus x targets, built through nixcross, checked and run"
    work="$cache/matrix"
    # Fresh build outputs every run (a binary linked by an older wrapper proves nothing);
    # zig's cache of built libcs is kept.
    rm -rf "$work/target" "$work/bare" "$work/native-target" "$work/logs" "$work/links"
    python3 tests/harness/matrix.py --nixcross target/release/nixcross --stubgen target/release/nixcross-stubgen --sysroots "$cache/sysroots" --work "$work" | tee "$cache/matrix.out"
    rc=${PIPESTATUS[0]}
    p=$(sed -n 's/^matrix: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) not run$/\1/p' "$cache/matrix.out")
    f=$(sed -n 's/^matrix: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) not run$/\2/p' "$cache/matrix.out")
    n=$(sed -n 's/^matrix: \([0-9]*\) passed, \([0-9]*\) failed, \([0-9]*\) not run$/\3/p' "$cache/matrix.out")
    record matrix $rc "${p:-0}" "${f:-0}"
    not_run=$((not_run + ${n:-0}))

    step "reproducible: the corpus built again elsewhere, later, with a fresh (prewarmed) cache, equals the matrix's build"
    python3 tests/harness/repro.py --nixcross target/release/nixcross --sysroots "$cache/sysroots" \
      --work "$cache/repro" --a-from "$work" --prewarmed "$cache/prewarmed" | tee "$cache/repro.out"
    rc=${PIPESTATUS[0]}
    p=$(sed -n 's/^repro: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$cache/repro.out")
    f=$(sed -n 's/^repro: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$cache/repro.out")
    record repro $rc "${p:-0}" "${f:-0}"

    step "release: universal2 and bundle of the matrix's hello-cross builds, opened with standard tools"
    python3 tests/harness/release.py --nixcross target/release/nixcross --matrix-work "$work" \
      --out "$cache/release" | tee "$cache/release.out"
    rc=${PIPESTATUS[0]}
    p=$(sed -n 's/^release: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$cache/release.out")
    f=$(sed -n 's/^release: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$cache/release.out")
    record release $rc "${p:-0}" "${f:-0}"
elif [[ $quick -eq 1 ]]; then
  echo; echo "=== matrix, prewarm, reproducibility and release harness NOT RUN (--quick): not tested"
fi

step_done
echo
echo "total: $((SECONDS - started_all)) s"
if [[ ${#failures[@]} -gt 0 ]]; then echo "failed steps: ${failures[*]}"; fi
echo "$passed passed, $failed failed, $not_run not run (listed as NOT RUN above)"
[[ $failed -eq 0 ]]
