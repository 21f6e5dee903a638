#!/usr/bin/env bash
# The project's test command (README.md): lint, unit and integration tests of the
# wrapper with real zig, Nix parse/evaluation tests, and the cross-compilation matrix.
#
#   tests/run.sh            everything
#   tests/run.sh --quick    everything but the matrix (minutes instead of most of an hour)
#
# Needs: a Rust toolchain (cargo, clippy, rustfmt), zig (NIXCROSS_ZIG, or pip's ziglang),
# nix-instantiate, and for the matrix Debian's rustc-web/cargo-web/rust-web-src,
# qemu-user-static and wine. .ci/run installs all of them.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
quick=0
[[ ${1:-} == --quick ]] && quick=1

cache=${NIXCROSS_TEST_CACHE:-$HOME/.cache/nixcross-tests}
mkdir -p "$cache"
passed=0
failed=0
failures=()

step() { echo; echo "=== $*"; }
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

step "cargo test (unit tests, and integration tests with real zig)"
out=$(cargo test --release --locked -- --include-ignored 2>&1); rc=$?
echo "$out" | grep -E '^test |^test result|panicked|^failures' || echo "$out" | tail -30
p=$(echo "$out" | sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\1/p' | paste -sd+ | bc)
f=$(echo "$out" | sed -n 's/^test result: .* \([0-9]*\) passed; \([0-9]*\) failed.*/\2/p' | paste -sd+ | bc)
record "cargo test" $rc "${p:-0}" "${f:-0}"

step "Nix: parse and evaluation tests"
bash tests/nix/run.sh; rc=$?
record nix $rc 0 0
[[ $rc -eq 0 ]] && passed=$((passed + 1))

if [[ $quick -eq 0 ]]; then
  step "sysroots with std for the six targets (cached in $cache/sysroots)"
  cargo build --release --locked -q -p nixcross
  bash tests/harness/build-sysroots.sh "$cache/sysroots" "$root/target/release/nixcross"; rc=$?
  record sysroots $rc 0 0
  if [[ $rc -eq 0 ]]; then
    step "matrix: corpus x targets, built through nixcross, checked and run"
    work="$cache/matrix"
    # Fresh build outputs every run (a binary linked by an older wrapper proves nothing);
    # zig's cache of built libcs is kept.
    rm -rf "$work/target" "$work/bare" "$work/native-target" "$work/logs" "$work/links"
    python3 tests/harness/matrix.py --nixcross target/release/nixcross --sysroots "$cache/sysroots" --work "$work" | tee "$cache/matrix.out"
    rc=${PIPESTATUS[0]}
    p=$(sed -n 's/^matrix: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$cache/matrix.out")
    f=$(sed -n 's/^matrix: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$cache/matrix.out")
    record matrix $rc "${p:-0}" "${f:-0}"
  fi
else
  echo; echo "=== matrix NOT RUN (--quick): the cross-compilation matrix was not tested"
fi

echo
if [[ ${#failures[@]} -gt 0 ]]; then echo "failed steps: ${failures[*]}"; fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
