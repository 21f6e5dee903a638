#!/usr/bin/env python3
"""Link time of the corpus's std-only binary (tests/corpus/hello-std) per target, in one
run: with a cold zig cache (zig compiles its libc first), with a cache seeded from a
prewarmed directory (`nixcross prewarm`, NIXCROSS_PREWARMED_CACHE), and with a warm
cache (for reference).

For each target the benchmark builds hello-std once through a recording linker, which
saves rustc's exact link command (objects kept with -C save-temps), then replays that
command through `nixcross run --role linker` in fresh cache directories.

    bench/prewarm.py --nixcross target/release/nixcross --sysroots DIR [--targets ...]
                     [--cold-runs 1] [--runs 3] [--prewarmed DIR]

--sysroots is tests/harness/build-sysroots.sh's output (std for every zig target); the
rustc is Debian's, as in the test matrix. NIXCROSS_ZIG must name zig.
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

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
sys.path.insert(0, str(ROOT / "tests" / "harness"))
from common import TARGETS  # noqa: E402

RECORDER = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["NIXCROSS_BENCH_RECORD"], "w") as f:
    json.dump({"cwd": os.getcwd(), "args": sys.argv[1:]}, f)
os.execv(os.environ["NIXCROSS_BENCH_LINKER"], [os.environ["NIXCROSS_BENCH_LINKER"]] + sys.argv[1:])
"""


def var_target(t):
    return t.upper().replace("-", "_")


def du(path):
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())


def rustc_for(args, work):
    rustc = work / "rustc"
    rustc.write_text(f'#!/bin/sh\nexec /usr/bin/rustc --sysroot "{args.sysroots / "full"}" "$@"\n')
    rustc.chmod(0o755)
    return rustc


def record_link(args, target, work, seed):
    """Builds hello-std for `target` (zig's cache seeded from `seed`, so this build
    itself is quick); returns rustc's link command."""
    env_out = subprocess.run([str(args.nixcross), "env", "--target", target, "--shell", "json",
                              "--links-dir", str(work / "links")], text=True, capture_output=True)
    if env_out.returncode != 0:
        sys.exit(f"nixcross env {target} failed:\n{env_out.stderr}")
    env = dict(os.environ)
    env.update(json.loads(env_out.stdout))
    env.pop("RUSTFLAGS", None)
    rustc = rustc_for(args, work)
    recorder = work / "record-linker"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    v = var_target(target)
    env["NIXCROSS_BENCH_LINKER"] = env[f"CARGO_TARGET_{v}_LINKER"]
    env["NIXCROSS_BENCH_RECORD"] = str(work / f"link-{target}.json")
    env[f"CARGO_TARGET_{v}_LINKER"] = str(recorder)
    env[f"CARGO_TARGET_{v}_RUSTFLAGS"] = env.get(f"CARGO_TARGET_{v}_RUSTFLAGS", "") + " -C save-temps"
    env["RUSTC"] = str(rustc)
    env["CARGO_TARGET_DIR"] = str(work / "target")
    env["NIXCROSS_CACHE_DIR"] = str(work / "build-cache")
    env["NIXCROSS_PREWARMED_CACHE"] = str(seed)
    out = subprocess.run(["/usr/bin/cargo", "build", "--release", "--locked", "--target", target,
                          "-p", "hello-std"], cwd=CORPUS, env=env, text=True, capture_output=True)
    if out.returncode != 0:
        sys.exit(f"building hello-std for {target} failed:\n{out.stderr[-4000:]}")
    return json.loads((work / f"link-{target}.json").read_text())


def timed_link(args, target, link, cache, seed=None):
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    return timed_link_in(args, target, link, cache, seed)


def timed_link_in(args, target, link, cache, seed=None):
    env = dict(os.environ, NIXCROSS_CACHE_DIR=str(cache))  # a seed only where given below
    env.pop("NIXCROSS_PREWARMED_CACHE", None)
    if seed:
        env["NIXCROSS_PREWARMED_CACHE"] = str(seed)
    argv = list(link["args"])
    out_at = argv.index("-o") + 1
    argv[out_at] = str(cache.parent / f"replayed-{target}")
    t = time.perf_counter()
    r = subprocess.run([str(args.nixcross), "run", "--target", target, "--role", "linker", "--"] + argv,
                       cwd=link["cwd"], env=env, text=True, capture_output=True)
    elapsed = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"replayed link for {target} failed:\n{r.stderr[-4000:]}")
    return elapsed


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nixcross", type=Path, required=True)
    p.add_argument("--sysroots", type=Path, required=True)
    p.add_argument("--targets", nargs="*", default=TARGETS)
    p.add_argument("--cold-runs", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--work", type=Path, default=None)
    p.add_argument("--prewarmed", type=Path, default=None,
                   help="an existing nixcross prewarm directory holding the targets (skips prewarming here)")
    args = p.parse_args()
    args.nixcross = args.nixcross.resolve()
    if not os.environ.get("NIXCROSS_ZIG"):
        sys.exit("set NIXCROSS_ZIG to zig (pip's ziglang: site-packages/ziglang/zig)")
    work = args.work or Path(tempfile.mkdtemp(prefix="nixcross-prewarm-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for target in args.targets:
        if args.prewarmed:
            seed, prewarm_s = args.prewarmed, None
        else:
            seed = work / f"seed-{target}"
            shutil.rmtree(seed, ignore_errors=True)
            print(f"prewarm bench: {target}: nixcross prewarm (cold)", flush=True)
            t = time.perf_counter()
            env = dict(os.environ, CARGO="/usr/bin/cargo", RUSTC=str(rustc_for(args, work)))
            env.pop("RUSTFLAGS", None)
            env.pop("NIXCROSS_PREWARMED_CACHE", None)
            r = subprocess.run([str(args.nixcross), "prewarm", "--target", target, "--out", str(seed)],
                               env=env, text=True, capture_output=True)
            prewarm_s = time.perf_counter() - t
            if r.returncode != 0:
                sys.exit(f"nixcross prewarm {target} failed:\n{r.stderr[-4000:]}")
        print(f"prewarm bench: {target}: building hello-std to record its link", flush=True)
        link = record_link(args, target, work, seed)
        cold = [timed_link(args, target, link, work / "cache-cold") for _ in range(args.cold_runs)]
        print(f"prewarm bench: {target}: cold link {statistics.median(cold):.2f} s", flush=True)
        seeded = [timed_link(args, target, link, work / "cache-seeded", seed) for _ in range(args.runs)]
        # Seeded links must not have compiled anything of libc: every archive is the seed's
        # copy, which keeps the seed's time stamp (zig would write a new file).
        seed_mtimes = {f.relative_to(seed): f.stat().st_mtime_ns for f in seed.rglob("*.a")}
        seeded_dir = work / "cache-seeded"
        new = [f for f in seeded_dir.rglob("*.a") if "nixcross" not in f.relative_to(seeded_dir).parts
               and seed_mtimes.get(f.relative_to(seeded_dir)) != f.stat().st_mtime_ns]
        warm = [timed_link_in(args, target, link, work / "cache-seeded") for _ in range(args.runs)]
        rows.append((target, statistics.median(cold), statistics.median(seeded), statistics.median(warm),
                     prewarm_s, du(seed), len(new)))
        print(f"prewarm bench: {target}: prewarmed link {statistics.median(seeded):.2f} s", flush=True)

    print()
    print(f"| target | cold link | prewarmed link | warm link | saving | prewarm (once) | prewarmed dir | libc archives rebuilt |")
    print("|---|---|---|---|---|---|---|---|")
    for target, cold, seeded, warm, once, size, new in rows:
        print(f"| {target} | {cold:.2f} s | {seeded:.2f} s | {warm:.2f} s | {cold / seeded:.0f}x | "
              f"{'-' if once is None else f'{once:.0f} s'} | {size / 1e6:.0f} MB | {new} |")
    bad = [r[0] for r in rows if r[6]]
    if bad:
        print(f"prewarm bench: libc was rebuilt despite the prewarmed cache for: {', '.join(bad)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
