#!/usr/bin/env python3
"""The release workflow end to end, without Nix, on the matrix's real Rust outputs:
the template crate (hello-cross) built for the six zig targets is merged into a
universal macOS binary and bundled; the release is then opened with the standard tools.

    release.py --nixcross BIN --matrix-work DIR --out DIR

Every check is one test; nothing is skipped silently. Last line:
"release: N passed, N failed".
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

from common import RCODESIGN_EXPECTED, TARGETS

ROOT = Path(__file__).resolve().parents[2]
NAME, VERSION, BINARY = "hello-cross", "0.1.0", "hello-cross"

passed, failed = 0, []


def result(name, ok, detail=""):
    global passed
    if ok:
        passed += 1
    else:
        failed.append(name)
    print(f"  {'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], text=True, capture_output=True, **kw)


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def lipo():
    for name in ["llvm-lipo"] + [f"llvm-lipo-{v}" for v in range(22, 13, -1)]:
        if shutil.which(name):
            return shutil.which(name)
    return None


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nixcross", type=Path, required=True)
    p.add_argument("--matrix-work", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    nixcross = args.nixcross.resolve()
    shutil.rmtree(args.out, ignore_errors=True)
    inputs = args.out / "in"

    # 1. Each target's binary, as a Nix package's bin/ would hold it.
    for t in TARGETS:
        exe = BINARY + (".exe" if "windows" in t else "")
        built = args.matrix_work / "target" / t / "release" / exe
        if not built.exists():
            result(f"input {t}", False, f"{built} missing: the matrix did not build it")
            continue
        (inputs / t).mkdir(parents=True)
        shutil.copy2(built, inputs / t / exe)

    # 2. universal2 from the two macOS builds.
    u = run([nixcross, "universal2", "--out", inputs / "universal2-apple-darwin",
             f"aarch64-apple-darwin={inputs / 'aarch64-apple-darwin'}",
             f"x86_64-apple-darwin={inputs / 'x86_64-apple-darwin'}"])
    result("universal2 merges the macOS builds", u.returncode == 0, (u.stdout + u.stderr).strip())
    fat = inputs / "universal2-apple-darwin" / BINARY
    tool = lipo()
    if tool is None:
        result("llvm-lipo reads the universal file", False, "llvm-lipo not installed (apt-get install llvm)")
    elif fat.exists():
        info = run([tool, "-info", fat])
        result("llvm-lipo reads the universal file", "x86_64 arm64" in info.stdout, info.stdout.strip() or info.stderr)
        arm = args.out / "arm64-slice"
        run([tool, fat, "-thin", "arm64", "-output", arm])
        same = arm.exists() and arm.read_bytes() == (inputs / "aarch64-apple-darwin" / BINARY).read_bytes()
        result("the arm64 slice is the aarch64 build byte for byte", same)
        rcodesign = shutil.which("rcodesign")
        if rcodesign is None:
            result("rcodesign verifies the arm64 slice", False, "rcodesign not installed")
        else:
            v = run([rcodesign, "verify", arm])
            problems = [l.strip() for l in v.stdout.splitlines() if l.strip() and not l.startswith("(the verify")
                        and l.strip() not in RCODESIGN_EXPECTED]
            result("rcodesign verifies the arm64 slice", v.returncode in (0, 1) and not problems, "; ".join(problems))

    # 3. The release directory.
    out = args.out / "release"
    readme = ROOT / "README.md"
    cmd = [nixcross, "bundle", "--name", NAME, "--version", VERSION, "--include", readme, "--out", out]
    cmd += [f"{d.name}={d}" for d in sorted(inputs.iterdir())]
    b = run(cmd, env=dict(os.environ, SOURCE_DATE_EPOCH="1700000000"))
    result("bundle packs every target", b.returncode == 0, (b.stdout + b.stderr).strip()[-2000:])
    if b.returncode != 0:
        return finish()
    sums = run(["sha256sum", "-c", "--strict", "SHA256SUMS"], cwd=out)
    result("sha256sum -c SHA256SUMS", sums.returncode == 0 and sums.stdout.count(": OK") == 7, sums.stdout.strip())
    manifest = json.loads((out / "manifest.json").read_text())
    for a in manifest["artifacts"]:
        t, file = a["target"], out / a["file"]
        top = f"{NAME}-{VERSION}-{t}"
        ok = file.exists() and a["size"] == file.stat().st_size and a["sha256"] == sha256(file)
        result(f"{t}: manifest size and sha256 match {file.name}", ok)
        unpacked = args.out / "unpacked" / t
        unpacked.mkdir(parents=True)
        if a["archive"] == "zip":
            with zipfile.ZipFile(file) as z:
                result(f"{t}: zip CRCs verify", z.testzip() is None)
                z.extractall(unpacked)
            names = sorted(zipfile.ZipFile(file).namelist())
        else:
            with tarfile.open(file, "r:gz") as tf:
                names = sorted(m.name.rstrip("/") for m in tf.getmembers())
                modes = {m.name: m.mode for m in tf.getmembers()}
                tf.extractall(unpacked, filter="data")
            result(f"{t}: binary mode 0755 in the tarball", modes.get(f"{top}/{a['binaries'][0]['name']}") == 0o755)
        exe = a["binaries"][0]["name"]
        want = sorted([top, f"{top}/README.md", f"{top}/{exe}"])
        result(f"{t}: archive lists {top}/ with the binary and README.md", [n.rstrip("/") for n in names] == want, str(names))
        src = inputs / t / exe
        got = unpacked / top / exe
        result(f"{t}: unpacked binary is the build byte for byte", got.exists() and got.read_bytes() == src.read_bytes())
        static = "musl" in t
        result(f"{t}: manifest says static={static}", a["static"] is static and a["binaries"][0]["static"] is static)
        if t == "x86_64-unknown-linux-musl":
            r = run([got])
            result(f"{t}: the released binary runs", r.returncode == 0 and r.stdout.strip() != "", r.stdout.strip())
        if t == "aarch64-unknown-linux-musl":
            r = run(["qemu-aarch64-static", got])
            result(f"{t}: the released binary runs under qemu-aarch64", r.returncode == 0 and r.stdout.strip() != "", r.stdout.strip())
    # 4. Packed again later, from copies elsewhere: the same bytes (deterministic archives).
    copies = args.out / "elsewhere" / "in"
    shutil.copytree(inputs, copies)
    out2 = args.out / "release-again"
    cmd2 = [nixcross, "bundle", "--name", NAME, "--version", VERSION, "--include", readme, "--out", out2]
    cmd2 += [f"{d.name}={d}" for d in sorted(copies.iterdir(), reverse=True)]
    b2 = run(cmd2, env=dict(os.environ, SOURCE_DATE_EPOCH="1700000000"))
    same = b2.returncode == 0 and all((out / f.name).read_bytes() == f.read_bytes() for f in out2.iterdir())
    result("bundling the same binaries again gives identical files", same, b2.stderr.strip()[-500:] if b2.returncode else "")
    return finish()


def finish():
    for f in failed:
        print(f"FAILED {f}")
    print(f"release: {passed} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
