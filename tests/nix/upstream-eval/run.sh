#!/usr/bin/env bash
# The upstream evaluation: nix/lib's mkCrossPackages (crane and naersk), mkDevShell,
# release, universal2 and mkZigCache evaluated with the real crane, naersk, rust-overlay
# and nixpkgs lib over a stand-in pkgs that records derivations instead of building them
# (eval.nix, stand-in-pkgs.nix). Needs Nix (2.8 is enough) and python3.
#
#   NIXCROSS_UPSTREAM_SRC=DIR tests/nix/upstream-eval/run.sh
#
# DIR holds crane/, naersk/, rust-overlay/ (each must hash to its flake.lock narHash) and
# nixpkgs-lib/; checkout.sh DIR makes it from local mirrors. NIXCROSS_BIN names a built
# nixcross (else `cargo build --release -p nixcross` runs). NIXCROSS_EVAL_REPO evaluates
# another copy's nix/lib instead of this one's (to see the assertions fail on a defect).
#
# crane, naersk and rust-overlay are verified against flake.lock; the nixpkgs lib is not
# (it is the nixpkgs.lib mirror's HEAD, not the locked nixpkgs): every run prints a
# "nixpkgs lib NOT LOCKED" line naming the revision it used.
#
# Exit: 0 all assertions hold; 1 some failed; 2 the sources do not match flake.lock;
# 3 not run (no sources, or no Nix), with one line saying why.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
NOT_RUN=3

not_run() {
  echo "upstream-eval: NOT RUN: $*"
  exit $NOT_RUN
}

src=${NIXCROSS_UPSTREAM_SRC:-}
[[ -n $src ]] || not_run "NIXCROSS_UPSTREAM_SRC is not set (tests/nix/upstream-eval/checkout.sh DIR makes the sources from the mirrors)"
[[ -d $src ]] || not_run "NIXCROSS_UPSTREAM_SRC=$src is not a directory"
src=$(cd "$src" && pwd)
for name in crane naersk rust-overlay nixpkgs-lib; do
  [[ -d $src/$name ]] || not_run "$src/$name is missing (tests/nix/upstream-eval/checkout.sh $src makes it)"
done
for tool in nix-instantiate nix python3; do
  command -v "$tool" >/dev/null || not_run "$tool not found"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Nix 2.8 wants a store for --eval even when nothing is built; use a private one.
export NIX_STORE_DIR=${NIX_STORE_DIR:-/nix/store}
export NIX_STATE_DIR=${NIX_STATE_DIR:-$tmp/state}
if [[ -z ${NIX_CONF_DIR:-} ]]; then
  export NIX_CONF_DIR=$tmp/conf
  mkdir -p "$NIX_CONF_DIR"
  echo "experimental-features = nix-command flakes" >"$NIX_CONF_DIR/nix.conf"
fi

# The sources must be what flake.lock locks, or the results say nothing about them.
for name in crane naersk rust-overlay; do
  want=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["nodes"][sys.argv[2]]["locked"]["narHash"])' "$root/flake.lock" "$name")
  got=$(nix --extra-experimental-features nix-command hash path "$src/$name" 2>&1) || got="(nix hash path failed: $got)"
  if [[ $got != "$want" ]]; then
    echo "upstream-eval: REFUSED: $src/$name hashes to $got, but flake.lock locks $name at $want; check out the locked revision (tests/nix/upstream-eval/checkout.sh)" >&2
    exit 2
  fi
done

# The nixpkgs lib cannot be checked the same way: flake.lock locks nixpkgs itself, which
# is not mirrored here, and nixpkgs-lib/ is the nixpkgs.lib mirror's HEAD (master), a
# different tree. Say which one was used, every time, and that it is not the locked one.
locked_nixpkgs=$(python3 -c 'import json, sys; n = json.load(open(sys.argv[1]))["nodes"]["nixpkgs"]; print(n["locked"]["rev"], n["original"].get("ref", "?"))' "$root/flake.lock")
lib_rev=$(sed -n 's/^nixpkgs-lib //p' "$src/REVISIONS" 2>/dev/null | head -n1)
lib_version=$(cat "$src/nixpkgs-lib/lib/.version" 2>/dev/null || echo "?")
lib_hash=$(nix --extra-experimental-features nix-command hash path "$src/nixpkgs-lib" 2>/dev/null || echo "?")
not_locked="nixpkgs lib NOT LOCKED: the lib evaluated is nixpkgs-lib/ at ${lib_rev:-an unknown revision (no REVISIONS line)} (the nixpkgs.lib mirror's HEAD; lib/.version $lib_version, $lib_hash), not the lib of flake.lock's nixpkgs ${locked_nixpkgs% *} (${locked_nixpkgs#* }), which cannot be fetched here: the locked nixpkgs is not verified"
echo "upstream-eval: $not_locked"

if [[ -n ${NIXCROSS_BIN:-} ]]; then
  nixcross=$NIXCROSS_BIN
else
  (cd "$root" && cargo build --release --locked -q -p nixcross) || { echo "upstream-eval: cargo build failed" >&2; exit 1; }
  nixcross=$root/target/release/nixcross
fi

# What `nixcross env` prints for every target, with the paths that differ between here
# and the evaluation written as placeholders (eval.nix fills in the stand-in's paths).
# PATH is empty so that no runner on this machine shows up: the plan's own runner is
# checked separately.
mkdir -p "$tmp/links" "$tmp/ndk" "$tmp/empty"
targets=$(nix-instantiate --eval --strict --json -E "builtins.attrNames (import $root/nix/lib/targetTable.nix).targets") || { echo "upstream-eval: cannot read the target table" >&2; exit 1; }
if ! python3 - "$nixcross" "$targets" "$tmp" >"$tmp/env.json" <<'EOF'
import json, os, subprocess, sys
nixcross, targets, tmp = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
links, ndk = os.path.realpath(tmp + "/links"), os.path.realpath(tmp + "/ndk")
# A zig laid out as nixpkgs installs it ($out/bin/zig, its lib dir $out/lib/zig), so that
# env finds the lib dir (bindgen's headers) where mkCrossPackage says it is.
zigpkg = os.path.realpath(tmp) + "/zigpkg"
os.makedirs(zigpkg + "/bin", exist_ok=True)
os.makedirs(zigpkg + "/lib/zig/std", exist_ok=True)
open(zigpkg + "/lib/zig/std/std.zig", "w").close()
zig = zigpkg + "/bin/zig"
open(zig, "w").write("#!/bin/sh\n")
os.chmod(zig, 0o755)
out = {}
for t in targets:
    # CARGO_HOME empty: no CARGO_HOME remap, which Nix builds replace with their own
    # remaps of the vendored sources (targetPlan's preConfigure, tested below).
    env = {"PATH": tmp + "/empty", "HOME": tmp, "CARGO_HOME": "", "NIXCROSS_ZIG": zig, "ANDROID_NDK_HOME": ndk}
    p = subprocess.run([nixcross, "env", "--target", t, "--shell", "json", "--links-dir", links],
                       env=env, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"nixcross env --target {t} failed: {p.stderr}")
    out[t] = {k: v.replace(links, "@LINKS@").replace(ndk, "@NDK@").replace(zigpkg, "@ZIGPKG@")
              for k, v in json.loads(p.stdout).items()}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
EOF
then
  echo "upstream-eval: nixcross env did not run" >&2
  exit 1
fi

# naersk reads the fixture's Cargo.tomls from its copy in the store ("${root}/..."), and
# rust-overlay puts files of pkgs.path there: the evaluation must be able to write to a
# store. A chroot store in the temporary directory takes them (nix-instantiate --eval is
# read-only unless told otherwise); /nix/store is never written.
repo_arg=()
if [[ -n ${NIXCROSS_EVAL_REPO:-} ]]; then repo_arg=(--arg repo "$(cd "$NIXCROSS_EVAL_REPO" && pwd)"); fi
nixeval() {
  nix-instantiate --read-write-mode --store "$tmp/store" --eval --strict --json "$here/eval.nix" \
    --argstr upstream "$src" --argstr nixcrossEnv "$tmp/env.json" "${repo_arg[@]}" "$@"
}

revs=$(awk '{ printf "%s%s %s", sep, $1, substr($2, 1, 8); sep = ", " }' "$src/REVISIONS" 2>/dev/null || true)
echo "upstream-eval: nix/lib with ${revs:-crane, naersk, rust-overlay, nixpkgs-lib} (crane, naersk and rust-overlay as locked; nixpkgs-lib NOT LOCKED) over the stand-in pkgs"
nixeval -A results >"$tmp/results.json" 2>"$tmp/results.err"
results_rc=$?
nixeval -A preConfigureRuns >"$tmp/runs.json" 2>"$tmp/runs.err"
runs_rc=$?
nixeval -A checkOutputsRuns >"$tmp/checkruns.json" 2>"$tmp/checkruns.err" || echo "[]" >"$tmp/checkruns.json"
nixeval -A checkOutputScripts >"$tmp/checkscripts.json" 2>"$tmp/checkscripts.err" || echo "[]" >"$tmp/checkscripts.json"
refusals=()
for attr in androidRefused devShellAndroidRefused; do
  if nixeval -A "$attr" >"$tmp/$attr.out" 2>"$tmp/$attr.err"; then
    refusals+=("$attr" "evaluated" "$tmp/$attr.out")
  else
    refusals+=("$attr" "failed" "$tmp/$attr.err")
  fi
done

# The template's src (templates/default/flake.nix, with the real nixpkgs lib): copies
# with a README.md added, then edited, and with flake.nix and src/main.rs edited.
template=${NIXCROSS_EVAL_REPO:-$root}/templates/default
for variant in committed readme-added readme-edited flake-edited main-edited; do
  # Same base name for every copy, so that only the contents can tell them apart.
  copy=$tmp/template-$variant/default
  mkdir -p "$tmp/template-$variant"
  cp -r "$template" "$copy"
  case $variant in
    readme-added) echo "# hello-cross" >"$copy/README.md" ;;
    readme-edited) printf '# hello-cross\n\nEdited.\n' >"$copy/README.md" ;;
    flake-edited) echo "# an edited comment" >>"$copy/flake.nix" ;;
    main-edited) echo "// an edited comment" >>"$copy/src/main.rs" ;;
  esac
  nix-instantiate --read-write-mode --store "$tmp/store" --eval --strict --json "$here/template-src.nix" \
    --argstr upstream "$src" --arg template "$copy" >"$tmp/template-$variant.json" 2>"$tmp/template-$variant.err" \
    || echo null >"$tmp/template-$variant.json"
done

python3 - "$tmp" "$results_rc" "$runs_rc" "$not_locked" "${refusals[@]}" <<'EOF'
import json, os, subprocess, sys
tmp, results_rc, runs_rc, not_locked = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
refusals = sys.argv[5:]
passed = failed = 0

def report(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"  PASS {name}")
    else:
        failed += 1
        print(f"  FAIL {name}" + (f": {detail}" if detail else ""))

def tail(path, n=15):
    with open(path) as f:
        return " | ".join(l.rstrip() for l in f.readlines()[-n:])

# The assertions eval.nix makes.
if results_rc == 0:
    for r in json.load(open(tmp + "/results.json")):
        report(r["ok"], r["name"], r["detail"])
else:
    report(False, "eval.nix results evaluate", tail(tmp + "/results.err"))

# preConfigure run in bash as the build would (stdenv's runHook preConfigure), with the
# derivation's own vendor variables: the target's rustflags variable must then hold a
# remap for each vendored source directory, the toolchain and the build directory, after
# any flags the table already put there.
if runs_rc == 0:
    for run in json.load(open(tmp + "/runs.json")):
        var = run["var"]
        env = {"PATH": os.environ["PATH"], "TMPDIR": tmp, "HOME": "/homeless-shelter",
               "NIX_BUILD_TOP": "/build", **run["env"]}
        if run["initial"] is not None:
            env[var] = run["initial"]
        script = run["script"] + f'\nprintf "%s" "${{{var}:-}}"\n'
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True, text=True)
        got = p.stdout
        want = [f"--remap-path-prefix={path}=/nix-sources" for path in run["expectRemapped"]]
        want.append("--remap-path-prefix=/build=/build")
        missing = [w for w in want if w not in got]
        keeps = run["initial"] is None or got.startswith(run["initial"])
        report(p.returncode == 0 and not missing and keeps,
               f"{run['label']}: preConfigure run in bash leaves {var} with the remaps",
               f"exit {p.returncode}, {var}={got!r}, missing {missing}, kept the table's flags: {keeps}, stderr: {p.stderr.strip()}")
else:
    report(False, "eval.nix preConfigureRuns evaluate", tail(tmp + "/runs.err"))

# The output check over a library-only, a program-and-library and an empty $out: a fake
# nixcross records what it was asked to check, and the shell's options must be the same
# after it as before.
runs = json.load(open(tmp + "/checkruns.json"))
report(len(runs) == 4, "eval.nix checkOutputsRuns evaluate (crane and naersk, musl and android)",
       tail(tmp + "/checkruns.err"))
for run in runs:
    static = run["target"].endswith("musl")
    # (layout, installed files, crate types cargo metadata reports, expected exit code)
    for layout, files, types, want_rc in (
            ("library-only", ["lib/libfoo.so", "lib/libfoo.rlib", "lib/libfoo.d"], ["cdylib"], 0),
            ("program and library", ["bin/foo", "lib/libfoo.a"], ["cdylib", "staticlib"], 0),
            ("empty", [], ["bin"], 1),
            # A crate whose library is a cdylib only: on static musl rustc drops it with a
            # warning, so the program alone would ship; that must fail, saying why.
            ("program whose cdylib was dropped", ["bin/foo"], ["cdylib"], 1 if static else 0)):
        case = os.path.join(tmp, "out-" + run["label"].replace(" ", "-") + "-" + layout.replace(" ", "-"))
        os.makedirs(case + "/fakebin", exist_ok=True)
        for f in files:
            os.makedirs(os.path.dirname(os.path.join(case, "out", f)), exist_ok=True)
            open(os.path.join(case, "out", f), "w").close()
        os.makedirs(case + "/out", exist_ok=True)
        fake = case + "/fakebin/nixcross"
        open(fake, "w").write('#!/bin/sh\necho "$@" > "%s/args"\n' % case)
        os.chmod(fake, 0o755)
        meta = json.dumps({"packages": [{"targets": [{"crate_types": types}]}]})
        open(case + "/fakebin/cargo", "w").write("#!/bin/sh\ncat <<'META'\n%s\nMETA\n" % meta)
        os.chmod(case + "/fakebin/cargo", 0o755)
        # Sourced as stdenv runs a phase's hooks, between two records of the shell's
        # options: the check must not leave any changed (a nullglob would change how every
        # later phase expands globs).
        open(case + "/check.sh", "w").write(run["script"])
        wrapper = ('{ shopt -p; set -o; } >"$NIXCROSS_CASE/opts-before"\n'
                   'source "$NIXCROSS_CASE/check.sh"\n'
                   '{ shopt -p; set -o; } >"$NIXCROSS_CASE/opts-after"\n')
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", wrapper], capture_output=True, text=True,
                           env=dict(os.environ, out=case + "/out", NIXCROSS_CASE=case,
                                    PATH=case + "/fakebin:" + os.environ["PATH"]))
        args = open(case + "/args").read().split() if os.path.exists(case + "/args") else []
        checked = sorted(os.path.relpath(a, case + "/out") for a in args if a.startswith(case))
        wanted = sorted(f for f in files if not f.endswith((".rlib", ".d")))
        if want_rc == 0:
            ok = p.returncode == 0 and checked == wanted and args[:3] == ["check", "--target", run["target"]]
            detail = f"exit {p.returncode}, checked {checked}, wanted {wanted}, stderr {p.stderr.strip()[-300:]}"
        elif files:
            ok = (p.returncode != 0 and "cannot build the cdylib this crate declares" in p.stderr
                  and 'add "staticlib" to the crate-type' in p.stderr and not args)
            detail = f"exit {p.returncode}, stderr {p.stderr.strip()[-300:]}"
        else:
            ok = (p.returncode != 0 and "no programs or libraries were installed" in p.stderr
                  and (("rustc drops it with a static C runtime" in p.stderr) == static) and not args)
            detail = f"exit {p.returncode}, stderr {p.stderr.strip()[-300:]}"
        report(ok, f"{run['label']}: the output check over a {layout} $out", detail)
        if want_rc == 0:
            def opts(which):
                path = f"{case}/opts-{which}"
                return open(path).read().splitlines() if os.path.exists(path) else None
            before, after = opts("before"), opts("after")
            changed = sorted(set(after or []) - set(before or []))
            report(p.returncode == 0 and before and after == before,
                   f"{run['label']}: the output check over a {layout} $out leaves the shell options (shopt -p, set -o) as they were",
                   f"exit {p.returncode}, changed: {changed}")

# checkOutput's script as its derivation would run it (bash, set -euo pipefail), over
# fake programs: each prints its first line, pauses, then many more, so that a
# `$(prog | head -n1)` would fail under pipefail (head is gone, the next write gets
# SIGPIPE) and only the first lines may be compared. A fake runner (qemu, wine) runs the
# program and records wine's DLL overrides; a fake nixcross records the check.
scripts = json.load(open(tmp + "/checkscripts.json"))
report(len(scripts) == 3, "eval.nix checkOutputScripts evaluate (native, qemu and wine targets)",
       tail(tmp + "/checkscripts.err"))
program = '#!/bin/sh\necho "%s"\nsleep 0.3\ni=0\nwhile [ $i -lt 2000 ]; do echo "%s line $i"; i=$((i + 1)); done\n'
for run in scripts:
    for case_name, first_line, want_ok in (("a program printing many lines, first line as the native build's", "hello-cross 0.1.0", True),
                                           ("a program whose first line differs from the native build's", "something else", False)):
        case = os.path.join(tmp, "script-" + run["target"] + ("-same" if want_ok else "-differs"))
        package, expected = case + "/package", case + "/expected"
        for d in ("fakebin", "tmp", "package/bin", "expected/bin"):
            os.makedirs(os.path.join(case, d), exist_ok=True)
        name = "hello-cross"
        for path, text in ((f"{package}/bin/{name}{run['exeSuffix']}", program % (first_line, "cross")),
                           (f"{expected}/bin/{name}", program % ("hello-cross 0.1.0", "native")),
                           (case + "/fakebin/nixcross", '#!/bin/sh\necho "$@" >"%s/check-args"\n' % case)):
            open(path, "w").write(text)
            os.chmod(path, 0o755)
        script = run["script"].replace("@PACKAGE@", package).replace("@EXPECTED@", expected)
        if run["runner"] is not None:
            runner = case + "/fakebin/runner"
            open(runner, "w").write('#!/bin/sh\nprintf "%%s" "${WINEDLLOVERRIDES-unset}" >"%s/wine-overrides"\nexec "$1"\n' % case)
            os.chmod(runner, 0o755)
            script = script.replace(run["runner"], runner)
        env = {k: v for k, v in os.environ.items() if not k.startswith("WINE")}
        p = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                           env=dict(env, out=case + "/out", TMPDIR=case + "/tmp",
                                    PATH=case + "/fakebin:" + os.environ["PATH"]))
        args = open(case + "/check-args").read().split() if os.path.exists(case + "/check-args") else []
        checked = args == ["check", "--target", run["target"], f"{package}/bin/{name}{run['exeSuffix']}"]
        ran = (run["runner"] is None) or os.path.exists(case + "/wine-overrides")
        if want_ok:
            ok = p.returncode == 0 and checked and ran and "ran and printed the native build's line: hello-cross 0.1.0" in p.stdout
        else:
            ok = (p.returncode != 0 and checked and ran
                  and "printed 'something else', the native build printed 'hello-cross 0.1.0'" in p.stderr)
        report(ok, f"{run['label']}: the script run in bash over {case_name} {'passes' if want_ok else 'fails naming both lines'}",
               f"exit {p.returncode}, check args {args}, ran under the runner: {ran}, stdout {p.stdout.strip()[-200:]!r}, stderr {p.stderr.strip()[-300:]!r}")
        if run["wine"] and want_ok:
            got = open(case + "/wine-overrides").read() if os.path.exists(case + "/wine-overrides") else None
            report(got == "mscoree,mshtml=", f"{run['label']}: wine runs the binaries with WINEDLLOVERRIDES=mscoree,mshtml=",
                   f"WINEDLLOVERRIDES was {got!r}")

# The template's src holds only what cargo reads, so a README.md (or flake.nix) edit
# leaves its store path, and so every target's build, as it was; a source edit does not.
srcs = {v: json.load(open(f"{tmp}/template-{v}.json"))
        for v in ("committed", "readme-added", "readme-edited", "flake-edited", "main-edited")}
committed = srcs["committed"]
report(committed is not None and sorted(committed["files"]) == ["Cargo.lock", "Cargo.toml", "src/main.rs"],
       "template: src holds Cargo.toml, Cargo.lock and src/ only (what cargo reads)",
       f"files: {committed and sorted(committed['files'])}; {tail(tmp + '/template-committed.err')}")
for variant, what in (("readme-added", "adding a README.md"), ("readme-edited", "editing README.md"),
                      ("flake-edited", "editing flake.nix")):
    got = srcs[variant]
    report(committed is not None and got is not None and got["path"] == committed["path"],
           f"template: {what} leaves src's store path unchanged (nothing rebuilds)",
           f"{got and got['path']} != {committed and committed['path']}; files {got and sorted(got['files'])}; {tail(tmp + '/template-' + variant + '.err')}")
got = srcs["main-edited"]
report(committed is not None and got is not None and got["path"] != committed["path"],
       "template: editing src/main.rs changes src's store path (the comparison above can fail)",
       f"both {committed and committed['path']}")

# Android without acceptAndroidSdkLicense must not evaluate, and must say what to do.
for i in range(0, len(refusals), 3):
    attr, outcome, path = refusals[i:i + 3]
    text = open(path).read()
    what = {"androidRefused": "mkCrossPackages", "devShellAndroidRefused": "mkDevShell"}[attr]
    ok = outcome == "failed" and "licence-gated" in text and "acceptAndroidSdkLicense = true" in text
    if outcome == "failed":
        detail = f"the error does not name the licence: {text.strip()[-600:]}"
    else:
        detail = f"it evaluated, accepting the licence unasked: {text.strip()[:300]}"
    report(ok, f"{what} for an android target without acceptAndroidSdkLicense fails with the licence message", detail)

print(f"upstream-eval: {passed} passed, {failed} failed")
print(f"upstream-eval: {not_locked}")
sys.exit(1 if failed else 0)
EOF
