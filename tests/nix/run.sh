#!/usr/bin/env bash
# Nix tests that need no nixpkgs (Nix 2.8 from Debian is enough):
#   - every .nix file in the repository parses (nix-instantiate --parse);
#   - the pure layer's per-target environment equals what `nixcross env` prints, for all
#     8 targets (the two read one table; this proves they read it the same way);
#   - eval-tests.nix: option validation, table invariants (a list of failures, must be []);
#   - flake.lock locks exactly flake.nix's inputs (tests/nix/check-lock.py);
#   - error messages: each bad option fails evaluation with a message naming the fix.
set -uo pipefail
cd "$(dirname "$0")/../.."
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "  PASS $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL $*"; }

command -v nix-instantiate >/dev/null || { echo "nix tests: nix-instantiate not found (apt-get install nix-bin)" >&2; exit 1; }
# Nix 2.8 wants a store for --eval even when nothing is built; use a private one.
export NIX_STORE_DIR=${NIX_STORE_DIR:-/nix/store}
export NIX_STATE_DIR=${NIX_STATE_DIR:-$(mktemp -d)/state}
export NIX_CONF_DIR=${NIX_CONF_DIR:-$(mktemp -d)}
echo "experimental-features = nix-command flakes" >"$NIX_CONF_DIR/nix.conf"
nixeval() { nix-instantiate --eval --strict --json "$@"; }

echo "nix tests: parse"
while IFS= read -r -d '' f; do
  if out=$(nix-instantiate --parse "$f" 2>&1 >/dev/null); then ok "parse $f"; else bad "parse $f: $out"; fi
done < <(find . -name '*.nix' -not -path './target/*' -not -path './.git/*' -print0)

echo "nix tests: targetEnv.nix agrees with nixcross env"
cargo build --release --locked -q -p nixcross || { echo "cargo build failed" >&2; exit 1; }
ndk=$(mktemp -d)
links=$(mktemp -d)/links  # nixcross env creates the links (and macOS's empty SDK dir) there
# zig's lib dir as zig itself reports it (`zig env`: JSON before 0.15, ZON after), which
# the Nix layer gets as "${zig}/lib/zig" and nixcross env finds next to the zig binary.
zig_lib=""
if [[ -n ${NIXCROSS_ZIG:-} ]]; then
  zig_lib=$("$NIXCROSS_ZIG" env 2>/dev/null | sed -n 's/.*lib_dir"\{0,1\} *[=:] *"\([^"]*\)".*/\1/p' | head -n1)
fi
for t in $(nixeval -E 'builtins.attrNames (import ./nix/lib/targetTable.nix).targets' | tr -d '[]"' | tr ',' ' '); do
  rust=$(env -u SDKROOT -u NIXCROSS_ANDROID_API -u MACOSX_DEPLOYMENT_TARGET -u ZIG_LIB_DIR ANDROID_NDK_HOME=$ndk CARGO_HOME=/tmp/nixcross-test-cargo-home ./target/release/nixcross env --target "$t" --shell json --links-dir "$links" 2>"$links.err") || { bad "nixcross env $t failed: $(cat "$links.err")"; continue; }
  args=$(python3 -c 'import json,sys; v=json.loads(sys.argv[1]); t=sys.argv[2]
r=[k for k in v if k.endswith("_RUNNER")]
q=lambda x: "null" if x is None else json.dumps(x)
f=[k for k in v if k.endswith("_RUSTFLAGS")]
h=[x.split("=", 1)[1].rsplit("=/cargo", 1)[0] for x in (v[f[0]].split() if f else []) if x.startswith("--remap-path-prefix=")]
z=sys.argv[4] if v.get("NIXCROSS_ZIG") and sys.argv[4] else None
print("{ target = %s; linksDir = %s; zig = %s; zigLibDir = %s; runner = %s; ndk = %s; cargoHome = %s; }" % (json.dumps(t), json.dumps(sys.argv[3]), q(v.get("NIXCROSS_ZIG")), q(z), q(v[r[0]] if r else None), q(v.get("NIXCROSS_ANDROID_NDK")), q(h[0] if h else None)))' "$rust" "$t" "$links" "$zig_lib")
  nix=$(nixeval -E "import ./nix/lib/targetEnv.nix $args" 2>&1) || { bad "targetEnv $t: $nix"; continue; }
  if [[ $rust != *"--remap-path-prefix=/tmp/nixcross-test-cargo-home=/cargo"* ]]; then
    bad "env $t: CARGO_HOME is not remapped out of the outputs: $rust"
  fi
  if python3 -c 'import json,sys; sys.exit(json.loads(sys.argv[1]) != json.loads(sys.argv[2]))' "$rust" "$nix"; then
    ok "env $t"
  else
    bad "env $t differs:\n   nixcross: $rust\n   nix:      $nix"
  fi
done
rm -rf "$ndk" "$(dirname "$links")"

echo "nix tests: eval-tests.nix"
if out=$(nixeval tests/nix/eval-tests.nix 2>&1); then
  if [[ $out == '[]' ]]; then ok "eval-tests.nix: all assertions hold"; else bad "eval-tests.nix failures: $out"; fi
else
  bad "eval-tests.nix did not evaluate: $out"
fi

echo "nix tests: the per-target preConfigure, run in bash as a build would"
# crane sets cargoVendorDir, naersk cratesio_sources/git_sources; rustc must get the
# remaps in the target's own rustflags variable (cargo ignores CARGO_BUILD_RUSTFLAGS
# when that is set, which is where naersk puts its own).
for t in x86_64-pc-windows-gnu aarch64-apple-darwin; do
  script=$(nixeval -E "(import ./nix/lib/targetPlan.nix { target = \"$t\"; hostSystem = \"x86_64-linux\"; options = { }; linksDir = \"/l\"; toolchain = \"/nix/store/00000000000000000000000000000000-rust\"; }).preConfigure" | python3 -c 'import json,sys; print(json.load(sys.stdin))')
  var=$(nixeval -E "(import ./nix/lib/targetPlan.nix { target = \"$t\"; hostSystem = \"x86_64-linux\"; options = { }; linksDir = \"/l\"; }).rustflagsVar" | tr -d '"')
  tmp=$(mktemp -d)
  for builder in crane naersk; do
    if [[ $builder == crane ]]; then vendor=(cargoVendorDir=/nix/store/11111111111111111111111111111111-vendor-cargo-deps); else vendor=(cratesio_sources=/nix/store/22222222222222222222222222222222-crates-io git_sources=/nix/store/33333333333333333333333333333333-git); fi
    got=$(env -i PATH="$PATH" TMPDIR="$tmp" HOME=/homeless-shelter NIX_BUILD_TOP=/build "${vendor[@]}" "$var=-C target-feature=+crt-static" \
      bash -euo pipefail -c "$script"$'\n'"printf '%s' \"\${$var}\"" 2>&1)
    cmap=$(env -i PATH="$PATH" TMPDIR="$tmp" HOME=/homeless-shelter NIX_BUILD_TOP=/build "${vendor[@]}" \
      bash -euo pipefail -c "$script"$'\n'"printf '%s' \"\$NIXCROSS_PREFIX_MAP\"" 2>&1)
    want_all=("-C target-feature=+crt-static" "--remap-path-prefix=/nix/store/00000000000000000000000000000000-rust=/nix-sources" "--remap-path-prefix=/build=/build")
    for v in "${vendor[@]}"; do want_all+=("--remap-path-prefix=${v#*=}=/nix-sources"); done
    missing=""
    for w in "${want_all[@]}"; do [[ $got == *"$w"* ]] || missing="$missing [$w]"; done
    if [[ -z $missing ]]; then ok "preConfigure $t ($builder): $var carries the remaps"; else bad "preConfigure $t ($builder): $var is '$got', missing$missing"; fi
    cmissing=""
    for w in "${want_all[@]}"; do
      case $w in --remap-path-prefix=*) [[ " $cmap " == *" ${w#--remap-path-prefix=} "* ]] || cmissing="$cmissing [${w#--remap-path-prefix=}]" ;; esac
    done
    if [[ -z $cmissing ]]; then ok "preConfigure $t ($builder): NIXCROSS_PREFIX_MAP gives C code the same maps"; else bad "preConfigure $t ($builder): NIXCROSS_PREFIX_MAP is '$cmap', missing$cmissing"; fi
  done
  rm -rf "$tmp"
done

echo "nix tests: flake.lock locks what flake.nix declares"
if inputs=$(nixeval -E '(import ./flake.nix).inputs' 2>&1) && out=$(python3 tests/nix/check-lock.py "$inputs" flake.lock 2>&1); then
  ok "flake.lock matches flake.nix inputs (sources, refs, follows, flake = false, full revs and hashes)"
else
  bad "flake.lock: $inputs $out"
fi
if desc=$(nixeval -E '(import ./flake.nix).description' 2>&1) && [[ $desc == *cross-compilation* ]]; then
  ok "flake.nix evaluates to a flake with a description"
else
  bad "flake.nix description: $desc"
fi

echo "nix tests: error messages"
expect_error() { # description, expected substring, expression
  local out
  if out=$(nixeval -E "$3" 2>&1); then
    bad "$1: evaluation succeeded, expected an error containing '$2'"
  elif [[ $out == *"$2"* ]]; then
    ok "$1"
  else
    bad "$1: error did not mention '$2': $out"
  fi
}
if [[ -f tests/nix/error-cases.sh ]]; then source tests/nix/error-cases.sh; fi

# nix/lib with the real crane, naersk, rust-overlay and nixpkgs lib over a recording
# stand-in pkgs; it needs their sources (NIXCROSS_UPSTREAM_SRC, see
# tests/nix/upstream-eval/checkout.sh) and says NOT RUN (exit 3) without them.
echo "nix tests: upstream evaluation (tests/nix/upstream-eval)"
upstream_out=$(NIXCROSS_BIN=$PWD/target/release/nixcross bash tests/nix/upstream-eval/run.sh 2>&1)
upstream_rc=$?
if [[ $upstream_rc -eq 3 ]]; then
  reason=$(sed -n 's/^upstream-eval: NOT RUN: //p' <<<"$upstream_out" | head -n1)
  echo "nix tests: upstream evaluation NOT RUN: ${reason:-$upstream_out}"
else
  upstream_failed=0
  while IFS= read -r line; do
    case $line in
      "  PASS "*) ok "upstream-eval: ${line#  PASS }" ;;
      "  FAIL "*) bad "upstream-eval: ${line#  FAIL }"; upstream_failed=1 ;;
      *) echo "$line" ;;
    esac
  done <<<"$upstream_out"
  # A run that stopped before its assertions (sources not as locked, a crash) still fails.
  if [[ $upstream_rc -ne 0 && $upstream_failed -eq 0 ]]; then bad "upstream-eval exited with $upstream_rc"; fi
fi
upstream_not_locked=$(sed -n 's/^upstream-eval: \(nixpkgs lib NOT LOCKED: .*\)/\1/p' <<<"$upstream_out" | head -n1)


echo "nix tests: $pass passed, $fail failed"
if [[ -n $upstream_not_locked ]]; then echo "nix tests: upstream evaluation: $upstream_not_locked"; fi
[[ $fail -eq 0 ]]
