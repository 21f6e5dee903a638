#!/usr/bin/env python3
"""Per-call overhead of the nixcross wrapper, measured in one run against its peers.

  1. Pure overhead: nixcross running a no-op program in zig's place, against running that
     no-op directly, and against the floor for any wrapper that execs: a minimal static
     C program that only execs the no-op. What nixcross adds above that floor is its own
     cost per compiler and linker call (start-up, the target table, rewriting argv).
     Both the build given (--nixcross, usually dynamic) and a statically linked build
     (what the Nix package is; built here unless --nixcross-static names one).
  2. A real call (`zig cc -c` of a small file, warm cache): zig directly, through
     nixcross, and through cargo-zigbuild's wrapper (`cargo-zigbuild zig cc`, what its
     generated zigcc-*.sh scripts run) when cargo-zigbuild is installed.

Prints medians and ratios. Target: at most 0.15 ms median above the floor per call.

    bench/overhead.py --nixcross target/release/nixcross [--nixcross-static PATH] [--runs 300]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(cmd, runs, env):
    for _ in range(min(20, runs)):  # warm-up: page cache, zig's cache
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append(time.perf_counter() - t)
    return statistics.median(samples) * 1000, statistics.quantiles(samples, n=10)[8] * 1000


def build_static(args, tmp):
    """A statically linked nixcross like the Nix package's (pkgsStatic: musl, static).
    With the test suite's musl std (tests/run.sh's sysroots) it is built for
    x86_64-unknown-linux-musl through nixcross itself; otherwise for glibc with
    crt-static, whose start-up costs more than musl's (said in the output)."""
    root = Path(__file__).resolve().parents[1]
    tdir = tmp / "static-target"
    musl_rustc = Path(args.musl_rustc).expanduser()
    if musl_rustc.is_file():
        print(f"bench: building nixcross for x86_64-unknown-linux-musl (static, as the Nix package) with {musl_rustc}",
              flush=True)
        out = subprocess.run([str(args.nixcross), "env", "--target", "x86_64-unknown-linux-musl", "--shell", "json",
                              "--links-dir", str(tmp / "build-links")],
                             env=dict(os.environ, NIXCROSS_ZIG=args.zig), check=True, capture_output=True, text=True)
        env = dict(os.environ, NIXCROSS_ZIG=args.zig, RUSTC=str(musl_rustc),
                   # The test sysroot's std has no LLVM bitcode to do LTO with.
                   CARGO_PROFILE_RELEASE_LTO="false")
        env.update(json.loads(out.stdout))
        subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "nixcross",
                        "--target", "x86_64-unknown-linux-musl", "--target-dir", str(tdir)],
                       cwd=root, check=True, env=env)
        return tdir / "x86_64-unknown-linux-musl" / "release" / "nixcross"
    print(f"bench: NOTE: no musl std ({musl_rustc} missing: run tests/run.sh once), so the static build is "
          "glibc crt-static, whose start-up costs more than the Nix package's musl", flush=True)
    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "nixcross",
                    "--target", "x86_64-unknown-linux-gnu", "--target-dir", str(tdir)],
                   cwd=root, check=True,
                   env=dict(os.environ, RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static"))
    return tdir / "x86_64-unknown-linux-gnu" / "release" / "nixcross"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nixcross", type=Path, required=True)
    p.add_argument("--zig", default=os.environ.get("NIXCROSS_ZIG"))
    p.add_argument("--nixcross-static", type=Path,
                   help="a statically linked nixcross (default: built here with crt-static)")
    p.add_argument("--runs", type=int, default=300)
    p.add_argument("--musl-rustc", default="~/.cache/nixcross-tests/rustc-full",
                   help="a rustc with a musl std (tests/run.sh makes this one) for the static build")
    args = p.parse_args()
    if not args.zig:
        sys.exit("bench: set NIXCROSS_ZIG or pass --zig")
    nixcross = str(args.nixcross.resolve())
    tmp = Path(tempfile.mkdtemp(prefix="nixcross-bench-"))
    cache = tmp / "cache"
    base = dict(os.environ, NIXCROSS_CACHE_DIR=str(cache), ZIG_GLOBAL_CACHE_DIR=str(cache), ZIG_LOCAL_CACHE_DIR=str(cache))
    base.pop("NIXCROSS_VERBOSE", None)
    base.pop("NIXCROSS_LOG", None)

    # A no-op executable in zig's place: static, so its own start-up is tiny and equal
    # in both measurements.
    noop = tmp / "noop-zig"
    (tmp / "noop.c").write_text("int main(void){return 0;}\n")
    subprocess.run([args.zig, "cc", "-target", "x86_64-linux-musl", "-O2", "-static", "-o", str(noop), str(tmp / "noop.c")],
                   env=base, check=True)
    # The floor: a static program that only execs the no-op (argv[1]) with the rest.
    floor = tmp / "exec-floor"
    (tmp / "floor.c").write_text("#include <unistd.h>\nint main(int c, char **v){(void)c; execv(v[1], v + 1); return 127;}\n")
    subprocess.run([args.zig, "cc", "-target", "x86_64-linux-musl", "-O2", "-static", "-o", str(floor), str(tmp / "floor.c")],
                   env=base, check=True)
    static = args.nixcross_static
    if static is None:
        static = build_static(args, tmp)
    static = str(Path(static).resolve())
    # Arguments shaped like a real rustc link: ~60 args, some the rules rewrite.
    link_args = ["-m64", "/tmp/a.o", "-Wl,--as-needed", "-lc", "-Wl,-O1", "-nostartfiles", "crt1.o", "crti.o"]
    link_args += [f"/tmp/deps/lib{i}.rlib" for i in range(50)] + ["-lunwind", "-o", "/tmp/out"]

    print(f"bench: {args.runs} runs each, medians (p90)")
    rows = []
    direct = measure([str(noop), "cc", "-target", "x86_64-linux-musl"] + link_args, args.runs, base)
    wrapped = measure([nixcross, "run", "--target", "x86_64-unknown-linux-musl", "--role", "linker", "--"] + link_args,
                      args.runs, dict(base, NIXCROSS_ZIG=str(noop)))
    links = tmp / "links"
    subprocess.run([nixcross, "env", "--target", "x86_64-unknown-linux-musl", "--links-dir", str(links)],
                   env=dict(base, NIXCROSS_ZIG=str(noop)), check=True, stdout=subprocess.DEVNULL)
    via_link = measure([str(links / "nixcross-x86_64-unknown-linux-musl-linker")] + link_args, args.runs,
                       dict(base, NIXCROSS_ZIG=str(noop)))
    floor_t = measure([str(floor), str(noop), "cc", "-target", "x86_64-linux-musl"] + link_args, args.runs, base)
    static_links = tmp / "static-links"
    subprocess.run([static, "links", "--target", "x86_64-unknown-linux-musl", "--dir", str(static_links)],
                   env=base, check=True, stdout=subprocess.DEVNULL)
    via_static = measure([str(static_links / "nixcross-x86_64-unknown-linux-musl-linker")] + link_args, args.runs,
                         dict(base, NIXCROSS_ZIG=str(noop)))
    rows.append(("no-op in zig's place, direct", direct))
    rows.append(("floor: static exec-only program, then the no-op", floor_t))
    rows.append(("no-op via nixcross run (dynamic build)", wrapped))
    rows.append(("no-op via argv[0] link, dynamic build", via_link))
    rows.append(("no-op via argv[0] link, static build", via_static))
    overhead = via_link[0] - floor_t[0]
    overhead_static = via_static[0] - floor_t[0]

    src = tmp / "small.c"
    src.write_text("#include <stdio.h>\nint f(int x){return x*2;}\n")
    obj = tmp / "small.o"
    real_args = ["-c", str(src), "-o", str(obj), "-O2"]
    zig_direct = measure([args.zig, "cc", "-target", "x86_64-linux-musl"] + real_args, args.runs // 3, base)
    zig_ours = measure([str(links / "nixcross-x86_64-unknown-linux-musl-cc")] + real_args, args.runs // 3,
                       dict(base, NIXCROSS_ZIG=args.zig))
    rows.append(("zig cc -c small.c, direct", zig_direct))
    rows.append(("zig cc -c small.c, via nixcross", zig_ours))
    zigbuild = shutil.which("cargo-zigbuild")
    zb = None
    if zigbuild:
        zb = measure([zigbuild, "zig", "cc", "--", "-target", "x86_64-linux-musl"] + real_args, args.runs // 3,
                     dict(base, CARGO_ZIGBUILD_ZIG_PATH=args.zig))
        rows.append(("zig cc -c small.c, via cargo-zigbuild zig cc", zb))
    for name, (med, p90) in rows:
        print(f"  {name:<48} {med:8.3f} ms  ({p90:.3f})")
    for name, o in (("dynamic build", overhead), ("static build (the Nix package)", overhead_static)):
        print(f"nixcross above the floor, {name}: {o:.3f} ms median (target <= 0.15 ms): "
              f"{'OK' if o <= 0.15 else 'OVER TARGET'}")
    print(f"real compile: nixcross/direct = {zig_ours[0] / zig_direct[0]:.3f}x", end="")
    if zb:
        print(f", cargo-zigbuild/direct = {zb[0] / zig_direct[0]:.3f}x, nixcross/cargo-zigbuild = {zig_ours[0] / zb[0]:.3f}x")
    else:
        print("; cargo-zigbuild not installed (pip install cargo-zigbuild) so not compared")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
