#!/usr/bin/env python3
"""Reproducibility check: builds the fixture corpus (and the flake template's crate)
twice per target through nixcross, from two copies of the source in different
directories, with different target dirs, different zig caches, different source mtimes
and a later start time, then compares every output binary byte for byte.

    repro.py --nixcross BIN --sysroots DIR --work DIR [--targets ...] [--binaries ...]
             [--a-from MATRIX_WORK] [--prewarmed DIR]

--a-from takes build A from the matrix (tests/harness/matrix.py --work MATRIX_WORK),
which built the same crates from the repository itself with its own target dir and zig
cache: only build B runs here. --prewarmed seeds build B's fresh zig cache from a
`nixcross prewarm` directory (NIXCROSS_PREWARMED_CACHE) and adds one test per target:
B's links compiled none of zig's libc (every libc archive in B's cache is the seed's
copy, with the seed's time stamp).

One test per (target, binary): it passes when both builds give identical bytes, fails
otherwise (with the first differing offset and a short diagnosis), or is the known
upstream failure (openssl-vendored on aarch64-pc-windows-gnullvm), which passes only if
the build fails with exactly that message. openssl-vendored, which embeds its target
dir, passes when the target dir is the only difference, and adds a test of that check
on doctored copies of B (controls). Nothing is skipped silently; the last line is
"repro: N passed, N failed".

Extra rustflags / env for experiments: --rustflags '...' is appended to
CARGO_TARGET_<T>_RUSTFLAGS (RUSTFLAGS would override it); --env K=V sets K=V, where
{src}, {target_dir} and {cache} are replaced by that side's directories.
"""

import argparse
import difflib
import json
import os
import re
import secrets
import shutil
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

from common import EXPECTED_FAILURES, FIXTURES, REPRO_TARGETS, TARGETS, Results, groups, repro_targets

ROOT = Path(__file__).resolve().parents[2]
# Fixture -> the workspace (relative to the repository) that holds it.
CRATES = {name: ws for name, (ws, _, _) in FIXTURES.items()}
BINARIES = [name for name, (_, _, repro) in FIXTURES.items() if repro]


def for_target(binaries, target):
    """The binaries repro.py rebuilds for `target` (common.FIXTURES says which)."""
    return [b for b in binaries if target in repro_targets(b)]
# Upstream: crates that bake cargo's OUT_DIR (so the target dir) into the binary. Their
# two builds may differ there and nowhere else (differs_only_in_target_dir): B's target
# dir path has the length of A's, and with it read as A's the bytes must be identical
# apart from the content hashes (ELF: the strings, see there).
EMBEDS_TARGET_DIR = {
    "openssl-vendored": "openssl-src runs OpenSSL's Configure with --prefix=$OUT_DIR/openssl-build/install, "
                        "which OpenSSL bakes into ENGINESDIR and MODULESDIR",
}
DEBIAN_RUSTC = "/usr/bin/rustc"
DEBIAN_CARGO = "/usr/bin/cargo"
MIN_GAP = 2.0  # seconds between the two builds' starts (at least)


def log(msg):
    print(f"repro: {msg}", flush=True)


def run(cmd, env=None, cwd=None, timeout=None):
    return subprocess.run(cmd, env=env, cwd=cwd, timeout=timeout, text=True, errors="replace",
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def tail(text, n=30):
    lines = (text or "").splitlines()
    return "\n".join("      | " + l for l in lines[-n:])


class Side:
    """One of the two builds: its source copy, target dir and zig cache."""

    def __init__(self, base, src_rel, target_rel, cache_rel, mtime, seed=None):
        self.base = base
        self.src = base / src_rel
        self.target_dir = base / target_rel
        self.cache = base / cache_rel
        self.mtime = mtime  # source files' mtime (epoch seconds)
        self.seed = seed  # NIXCROSS_PREWARMED_CACHE for this side, or None


def copy_sources(side, workspaces):
    """Copies each workspace (without target/) under side.src, with every file's and
    directory's mtime set to side.mtime."""
    for ws in workspaces:
        dst = side.src / ws
        shutil.copytree(ROOT / ws, dst, ignore=shutil.ignore_patterns("target", ".git"))
    for dirpath, dirnames, filenames in os.walk(side.src):
        for n in filenames + dirnames:
            os.utime(os.path.join(dirpath, n), (side.mtime, side.mtime))


def cargo_env(args, target, side):
    out = run([str(args.nixcross), "env", "--target", target, "--shell", "json", "--links-dir", str(args.links)])
    if out.returncode != 0:
        raise SystemExit(f"nixcross env failed for {target}:\n{out.stdout}")
    env = dict(os.environ)
    env.update(json.loads(out.stdout.splitlines()[-1]))
    rustc = args.work / "rustc-full"
    if not rustc.exists():
        rustc.write_text(f'#!/bin/sh\nexec {DEBIAN_RUSTC} --sysroot "{args.sysroots / "full"}" "$@"\n')
        rustc.chmod(0o755)
    env["RUSTC"] = str(rustc)
    env["CARGO_TARGET_DIR"] = str(side.target_dir)
    env["NIXCROSS_CACHE_DIR"] = str(side.cache)
    env.pop("NIXCROSS_PREWARMED_CACHE", None)
    if side.seed:
        env["NIXCROSS_PREWARMED_CACHE"] = str(side.seed)
    env.pop("RUSTFLAGS", None)
    # The reproducible-builds convention Nix's stdenv follows (1980-01-01 there too): C
    # builds that stamp a date (OpenSSL's "built on") use it instead of the clock.
    env["SOURCE_DATE_EPOCH"] = os.environ.get("SOURCE_DATE_EPOCH") or "315532800"
    subst = {"{src}": str(side.src), "{target_dir}": str(side.target_dir), "{cache}": str(side.cache)}

    def expand(v):
        for k, s in subst.items():
            v = v.replace(k, s)
        return v

    if args.rustflags:
        key = "CARGO_TARGET_" + target.upper().replace("-", "_") + "_RUSTFLAGS"
        env[key] = (env.get(key, "") + " " + expand(args.rustflags)).strip()
    for kv in args.env:
        k, v = kv.split("=", 1)
        env[k] = expand(v)
    return env


def build(args, target, side, binaries, logname):
    env = cargo_env(args, target, side)
    env["NIXCROSS_LOG"] = str(args.work / "logs" / f"{logname}.nixcross.log")
    text, rc = "", 0
    started = time.time()
    # One invocation per build group, as the matrix built them (common.groups).
    for ws, members in groups(binaries):
        cmd = [DEBIAN_CARGO, "build", "--release", "--locked", "--keep-going", "--target", target]
        for b in members:
            cmd += ["-p", b]
        out = run(cmd, env=env, cwd=side.src / ws)
        text += f"$ (cd {side.src / ws} && {' '.join(cmd)})\n" + out.stdout
        rc = max(rc, out.returncode)
    (args.work / "logs" / f"{logname}.cargo.log").write_text(text)
    return rc, text, started, time.time() - started


def exe(side, target, binary):
    return side.target_dir / target / "release" / (binary + (".exe" if "windows" in target else ""))


# --- diagnosis -------------------------------------------------------------------------

def sections(path):
    """[(name, file_offset, size)] of the file's sections, from llvm-readobj."""
    tool = next((shutil.which(n) for n in ["llvm-readobj"] + [f"llvm-readobj-{v}" for v in range(22, 13, -1)]
                 if shutil.which(n)), None)
    if tool is None:  # only the diagnosis gets poorer: offsets are then named by region only
        return []
    out = run([tool, "--sections", str(path)])
    secs, cur = [], {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith("Section {"):
            cur = {}
        m = re.match(r"(Name|Offset|Size|PointerToRawData|RawDataSize|Segment): (\S+)", line)
        if m:
            cur.setdefault(m.group(1), m.group(2))
        if line == "}" and "Name" in cur:
            off = cur.get("Offset", cur.get("PointerToRawData"))
            size = cur.get("Size", cur.get("RawDataSize"))
            if off is not None and size is not None:
                name = cur["Name"] + (f" ({cur['Segment']})" if "Segment" in cur else "")
                secs.append((name, int(off, 0), int(size, 0)))
            cur = {}
    return secs


def regions(data):
    """Named byte ranges that llvm-readobj --sections does not show: the content hashes
    and the Mach-O symbol and string tables."""
    out = content_hashes(data)
    if data[:4] == b"\xcf\xfa\xed\xfe":
        ncmds, off = struct.unpack_from("<I", data, 16)[0], 32
        for _ in range(ncmds):
            cmd, size = struct.unpack_from("<II", data, off)
            if cmd == 0x2:
                symoff, nsyms, stroff, strsize = struct.unpack_from("<IIII", data, off + 8)
                out.append(("Mach-O symbol table (nlist, incl. stabs)", symoff, nsyms * 16))
                out.append(("Mach-O string table", stroff, strsize))
            off += size
    return out


def where(secs, off):
    for name, start, size in secs:
        if start <= off < start + size:
            return f"{name}+0x{off - start:x}"
    return "headers/load commands" if off < 0x1000 else "outside sections"


def diff_runs(a, b, limit=12):
    """Runs of differing bytes at equal offsets (over the common length)."""
    runs, i, n = [], 0, min(len(a), len(b))
    while i < n and len(runs) < limit:
        if a[i] != b[i]:
            j = i
            while j < n and (a[j] != b[j] or (j + 1 < n and a[j + 1] != b[j + 1])):
                j += 1
            runs.append((i, j - i))
            i = j
        else:
            i += 1
    total = sum(1 for x, y in zip(a, b) if x != y)
    return runs, total


def diagnose(a_path, b_path, sides):
    a, b = a_path.read_bytes(), b_path.read_bytes()
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    secs = regions(a) + sections(a_path)
    lines = [f"sizes {len(a)} vs {len(b)}; first difference at offset 0x{first:x} ({where(secs, first)})"]
    runs, total = diff_runs(a, b)
    lines.append(f"{total} differing bytes at equal offsets" + (" (sizes differ, so later content is shifted)" if len(a) != len(b) else ""))
    for off, n in runs[:8]:
        lines.append(f"  0x{off:x} +{n} in {where(secs, off)}: {a[off:off + min(n, 24)].hex()} vs {b[off:off + min(n, 24)].hex()}")
    cmp = run(["cmp", "-l", str(a_path), str(b_path)])
    lines.append("cmp -l | head -5:")
    lines += ["  " + l for l in cmp.stdout.splitlines()[:5]]
    d = strings_diff(a, b)
    lines.append(f"strings diff ({len(d)} lines, first 10):")
    lines += ["  " + l[:200] for l in d[:10]]
    hints = []
    text = "\n".join(d)
    for label, side in sides.items():
        for what, p in (("source dir", side.src), ("target dir", side.target_dir), ("zig cache", side.cache)):
            if str(p) in text:
                hints.append(f"{label}'s {what} ({p}) is embedded")
    if re.search(r"/tmp/rustc\w{6}", text):
        hints.append("rustc's random temp dir /tmp/rustcXXXXXX is embedded")
    if hints:
        lines.append("diagnosis: " + "; ".join(hints))
    return "\n      ".join(lines)


# --- main ------------------------------------------------------------------------------

def wait_gap(t0):
    gap = time.time() - t0
    if gap < MIN_GAP:
        time.sleep(MIN_GAP - gap)


def content_hashes(data):
    """[(name, offset, size)]: the fields a linker computes from the rest of the file
    (Mach-O LC_UUID and code signature, PE stamps with -Brepro, ELF build id). When any
    other byte differs these differ too, so they are left out when deciding what else
    differs; their bytes can also look like text to `strings`."""
    out = []
    if data[:2] == b"MZ" and len(data) > 0x40:
        e = struct.unpack_from("<I", data, 0x3C)[0]
        nsects, optsize = struct.unpack_from("<H", data, e + 6)[0], struct.unpack_from("<H", data, e + 20)[0]
        opt = e + 24
        out.append(("PE COFF header TimeDateStamp", e + 8, 4))
        out.append(("PE optional header CheckSum", opt + 64, 4))
        dirs = opt + (112 if struct.unpack_from("<H", data, opt)[0] == 0x20B else 96)
        debug_rva, debug_size = struct.unpack_from("<II", data, dirs + 6 * 8)
        sects = [struct.unpack_from("<IIII", data, opt + optsize + 40 * i + 8) for i in range(nsects)]
        debug_off = next((ptr + debug_rva - va for vsize, va, rawsize, ptr in sects
                          if va <= debug_rva < va + max(vsize, rawsize)), None)
        for i in range(debug_size // 28 if debug_off is not None else 0):
            entry = debug_off + 28 * i
            kind, size, _, ptr = struct.unpack_from("<IIII", data, entry + 12)
            out.append(("PE debug directory TimeDateStamp", entry + 4, 4))
            if kind == 16 and size:  # IMAGE_DEBUG_TYPE_REPRO: the hash -Brepro stamps with
                out.append(("PE debug repro hash", ptr, size))
    elif data[:4] == b"\xcf\xfa\xed\xfe":
        ncmds, off = struct.unpack_from("<I", data, 16)[0], 32
        for _ in range(ncmds):
            cmd, size = struct.unpack_from("<II", data, off)
            if cmd == 0x1B:
                out.append(("Mach-O LC_UUID", off + 8, 16))
            elif cmd == 0x1D:
                out.append(("Mach-O code signature", *struct.unpack_from("<II", data, off + 8)))
            off += size
    elif data[:4] == b"\x7fELF" and data[4] == 2:
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
        headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
        names = headers[shstrndx][4] if headers else 0
        for name, kind, _, _, offset, size in headers:
            if kind == 7 and data.startswith(b".note.gnu.build-id\0", names + name):
                out.append(("ELF build id note", offset, size))
    return out


def strings_diff(a, b):
    """The +/- lines of a diff of the two files' printable runs (6 or more, as `strings`)."""
    runs = [[m.group().decode("latin-1") for m in re.finditer(rb"[\t\x20-\x7e]{6,}", x)] for x in (a, b)]
    return [l for l in difflib.unified_diff(*runs, lineterm="", n=0)
            if l[:1] in "+-" and not l.startswith(("+++", "---"))]


def differs_only_in_target_dir(pa, pb, dir_a, dir_b):
    """(True, how) when the two binaries differ only where each names its own target dir
    and in the content hashes that follow from those bytes; (False, why) otherwise (a
    date, or any other string, fails this)."""
    a, b = bytearray(pa.read_bytes()), bytearray(pb.read_bytes())
    if len(a) != len(b):
        return False, f"sizes differ ({len(a)} vs {len(b)})"
    hashes = content_hashes(a)
    if hashes != content_hashes(b):
        return False, "the content hash fields sit at different offsets"
    for _, off, n in hashes:
        a[off:off + n] = b[off:off + n] = bytes(n)
    ta, tb = str(dir_a).encode(), str(dir_b).encode()
    if a == bytes(b).replace(tb, ta):
        names = ", ".join(sorted({name for name, _, _ in hashes})) or "none"
        return True, (f"identical once B's target dir reads as A's ({b.count(tb)} places), apart from the "
                      f"content hashes computed from those bytes ({names})")
    if a[:4] != b"\x7fELF":
        return False, "more than the target dir differs (the content hashes left out)"
    # ELF only: lld lays out a merged string section (.rodata) in an order that depends
    # on the strings' contents, so the other strings and the code addressing them move
    # too; only the strings can then be compared (seen for x86_64 musl).
    d = strings_diff(a, b)
    other = [l for l in d if str(dir_a if l[0] == "-" else dir_b) not in l]
    if d and not other:
        return True, (f"the strings differ only where each names its own target dir ({len(d)} diff lines); "
                      f"other bytes moved with them (lld's merged string section, ELF only)")
    return False, f"other strings differ too: {other[:4]}"


def predicate_controls(results, name, pa, pb, dir_a, dir_b, scratch):
    """The check above on doctored copies of B: text written into every content hash field
    must still pass (those bytes are hashes); one character changed in a string that does
    not name the target dir must fail; outside ELF, one changed byte of code must fail too
    (ELF's strings-only comparison cannot see that: a known gap, see above)."""
    scratch.mkdir(parents=True, exist_ok=True)
    data = pb.read_bytes()
    hashes = [(n, off, size) for n, off, size in content_hashes(data) if size]
    inside = lambda off: any(o <= off < o + n for _, o, n in hashes)
    tb = str(dir_b).encode()
    text = next((m for m in re.finditer(rb"[\x20-\x7e]{12,}", data)
                 if tb not in m.group() and not inside(m.start())), None)
    if text is None:
        results.add(f"{name}/controls", False, "no string outside the target dir and the hashes to change")
        return
    noisy = bytearray(data)
    for _, off, size in hashes:
        noisy[off:off + size] = (b"Ezw/\\ia{" * (size // 8 + 1))[:size]
    changed_text = bytearray(data)
    changed_text[text.start()] = ord("#") if data[text.start()] != ord("#") else ord("%")
    # A byte from the middle of the file on, away from any string and hash, that stays
    # unprintable when flipped (so the strings stay the same).
    printable = lambda c: c == 9 or 0x20 <= c <= 0x7E
    code = next(i for i in range(len(data) // 2, len(data))
                if not inside(i) and not printable(data[i]) and not printable(data[i] ^ 1)
                and not re.search(rb"[\t\x20-\x7e]{6,}", data[max(i - 8, 0):i + 8]))
    changed_code = bytearray(data)
    changed_code[code] ^= 0x01
    verdicts = {}
    for label, doctored in (("noise in the hash fields", noisy), ("a changed string", changed_text),
                            ("a changed code byte", changed_code)):
        f = scratch / label.replace(" ", "-")
        f.write_bytes(doctored)
        verdicts[label] = differs_only_in_target_dir(pa, f, dir_a, dir_b)
    elf = data[:4] == b"\x7fELF"
    want = {"noise in the hash fields": True, "a changed string": False, "a changed code byte": elf}
    wrong = [f"{label}: {'passed' if v[0] else 'failed'} ({v[1]})" for label, v in verdicts.items()
             if v[0] != want[label]]
    shown = text.group()[:40].decode()
    results.add(f"{name}/controls", not wrong,
                f"noise in the {len(hashes)} content hash fields passes; one character changed in {shown!r} "
                f"fails; one code byte flipped at 0x{code:x} " + ("passes (ELF: strings only, the known gap)"
                                                                   if elf else "fails") if not wrong
                else "the check is wrong on a doctored copy of B: " + "; ".join(wrong))


def same_length_elsewhere(path, target):
    """A directory outside the work tree whose path has as many bytes as `path`, so that a
    binary embedding one can be compared with one embedding the other."""
    prefix = f"/tmp/nxr{zlib.crc32(target.encode()) % 10**6:06d}-"
    n = len(str(path))
    if n <= len(prefix):
        raise SystemExit(f"repro: target dir {path} is too short to mirror; use a longer --work")
    return Path(prefix + "x" * (n - len(prefix)))


def libc_archives(cache):
    return {f.relative_to(cache): f.stat().st_mtime_ns for f in cache.rglob("*.a") if "nixcross" not in f.parts}


def check_seeded(results, target, side):
    """B's cache came from the prewarmed seed: no libc archive was compiled again."""
    seed, got = libc_archives(side.seed), libc_archives(side.cache)
    rebuilt = sorted(str(a) for a, t in got.items() if seed.get(a) != t)
    libc = [a for a in got if a.name in ("libc.a", "libcompiler_rt.a", "libunwind.a", "libzigc.a")]
    ok = bool(libc) and not rebuilt
    results.add(f"{target}/prewarmed-cache", ok,
                f"{len(got)} libc archives, all copied from the seed" if ok
                else f"compiled again despite NIXCROSS_PREWARMED_CACHE: {rebuilt[:5] or 'no libc archive in the cache at all'}")


def one_target(args, results, target):
    tw = args.work / target
    if tw.exists():
        shutil.rmtree(tw, ignore_errors=True)
    now = time.time()
    if args.a_from:
        # The matrix's build: the repository's own workspaces, its target dir and cache.
        a = Side(ROOT, ".", args.a_from / "target", args.a_from / "zig-cache", None)
        rc_a, out_a, t_a, secs_a = 0, "(build A is the matrix's; see its logs)", 0.0, 0.0
        log(f"{target}: build A is the matrix's, in {ROOT} with target dir {a.target_dir}")
    else:
        a = Side(tw / "a", f"src-{secrets.token_hex(4)}", "target", "zig-cache", now - 86400 * 3)
    b = Side(tw / "b", "another/deeper/path/src", same_length_elsewhere(a.target_dir, target), "cache/z", now,
             args.prewarmed)
    shutil.rmtree(b.target_dir, ignore_errors=True)
    binaries = for_target(args.binaries, target)
    wanted = [x for x in binaries if (target, x) not in EXPECTED_FAILURES]
    workspaces = sorted({CRATES[x] for x in binaries})
    if not args.a_from:
        copy_sources(a, workspaces)
        log(f"{target}: build A in {a.src}")
        rc_a, out_a, t_a, secs_a = build(args, target, a, wanted, f"{target}-a")
        log(f"{target}: build A exited {rc_a} after {secs_a:.0f}s")
        wait_gap(t_a)
    copy_sources(b, workspaces)  # copied after A: mtimes (and ctimes) differ too
    log(f"{target}: build B in {b.src}")
    rc_b, out_b, t_b, secs_b = build(args, target, b, wanted, f"{target}-b")
    log(f"{target}: build B exited {rc_b} after {secs_b:.0f}s")
    assert t_b - t_a >= MIN_GAP
    for x in wanted:
        pa, pb = exe(a, target, x), exe(b, target, x)
        name = f"{target}/{x}"
        if not pa.exists() or not pb.exists():
            which = ", ".join(s for s, p in (("A", pa), ("B", pb)) if not p.exists())
            results.add(name, False, f"did not build ({which})\n" + tail(out_a if not pa.exists() else out_b))
            continue
        da, db = pa.read_bytes(), pb.read_bytes()
        if da == db:
            results.add(name, True, f"identical ({pa.stat().st_size} bytes)")
        elif x in EMBEDS_TARGET_DIR and (only := differs_only_in_target_dir(pa, pb, a.target_dir, b.target_dir))[0]:
            results.add(name, True, f"upstream limitation ({EMBEDS_TARGET_DIR[x]}): {only[1]}")
            predicate_controls(results, name, pa, pb, a.target_dir, b.target_dir, tw / "controls" / x)
        else:
            why = f"\n      {only[1]}" if x in EMBEDS_TARGET_DIR else ""
            results.add(name, False, "binaries differ" + why + "\n      " + diagnose(pa, pb, {"A": a, "B": b}))
    if b.seed:
        check_seeded(results, target, b)
    for x in binaries:
        reason = EXPECTED_FAILURES.get((target, x))
        if reason is None:
            continue
        if args.a_from:
            log(f"{target}: {x} not compared: upstream limitation ({reason}), a test of the matrix")
            continue
        log(f"{target}: {x} must fail upstream with: {reason}")
        rc, out, _, _ = build(args, target, a, [x], f"{target}-{x}-expected-failure")
        ok = rc != 0 and reason in out and not exe(a, target, x).exists()
        results.add(f"{target}/{x}", ok, f"not compared: upstream limitation, fails as expected: {reason}" if ok
                    else "expected the upstream failure message\n" + tail(out))
    if not args.keep:
        shutil.rmtree(b.cache, ignore_errors=True)
        shutil.rmtree(b.target_dir, ignore_errors=True)
        if not args.a_from:
            shutil.rmtree(a.cache, ignore_errors=True)
    return secs_a + secs_b


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--nixcross", type=Path, required=True)
    p.add_argument("--sysroots", type=Path, required=True)
    p.add_argument("--work", type=Path, required=True)
    p.add_argument("--zig", default=os.environ.get("NIXCROSS_ZIG"))
    p.add_argument("--targets", nargs="*", default=REPRO_TARGETS)
    p.add_argument("--binaries", nargs="*", default=BINARIES)
    p.add_argument("--rustflags", default="", help="appended to CARGO_TARGET_<T>_RUSTFLAGS ({src}, {target_dir}, {cache} expand)")
    p.add_argument("--env", action="append", default=[], help="K=V for both builds ({src}, {target_dir}, {cache} expand)")
    p.add_argument("--keep", action="store_true", help="keep the zig caches")
    p.add_argument("--source", type=Path, default=ROOT, help="the repository to copy the workspaces from")
    p.add_argument("--a-from", type=Path, default=None, help="take build A from this matrix work directory")
    p.add_argument("--prewarmed", type=Path, default=None, help="seed build B's zig cache from this nixcross prewarm directory")
    args = p.parse_args()
    args.nixcross = args.nixcross.resolve()
    args.work = args.work.resolve()
    args.sysroots = args.sysroots.resolve()
    globals()["ROOT"] = args.source.resolve()
    if args.a_from:
        args.a_from = args.a_from.resolve()
    # Both builds call the tools through the same links, as with an installed nixcross or
    # the Nix package (libexec/nixcross): C builds may record the compiler's path
    # (OpenSSL's "compiler:" string does).
    args.links = (args.a_from or args.work) / "links"
    if args.prewarmed:
        args.prewarmed = args.prewarmed.resolve()
    (args.work / "logs").mkdir(parents=True, exist_ok=True)
    if not args.zig:
        raise SystemExit("repro: set NIXCROSS_ZIG or pass --zig")
    os.environ["NIXCROSS_ZIG"] = args.zig
    for t in args.targets:
        if t not in TARGETS:
            raise SystemExit(f"repro: unknown target {t}")
    for x in args.binaries:
        if x not in CRATES:
            raise SystemExit(f"repro: unknown binary {x}")
    results = Results()
    started = time.time()
    for t in args.targets:
        secs = one_target(args, results, t)
        log(f"{t}: {'build B' if args.a_from else 'both builds'} took {secs:.0f}s")
    log(f"finished in {time.time() - started:.0f}s")
    for name, _, detail in results.failed:
        print(f"FAILED {name}: {detail.splitlines()[0] if detail else ''}")
    failed = len(results.failed)
    print(f"repro: {len(results.rows) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
