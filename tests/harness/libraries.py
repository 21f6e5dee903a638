"""The library fixtures in the matrix (common.LIBRARIES): each library file a target makes
is checked by `nixcross check` (kind, names, exports, what it loads, no build paths), and
c-abi-lib's C host programs, built by nixcross for the same target, load the cdylib at
run time and link the staticlib; they run where the target runs and must print the
native build's line. Static musl cannot make a cdylib (rustc drops it): that must show
as rustc's warning and no file."""

import subprocess
from pathlib import Path

from common import LIBRARIES, TABLE

ROOT = Path(__file__).resolve().parents[2]
HOSTS = ROOT / "tests/corpus/c-abi-lib/hosts"


def file_names(target, crate):
    """crate type -> the file cargo writes for `target`."""
    os_ = TABLE["targets"][target]["os"]
    if os_ == "windows":
        return {"cdylib": f"{crate}.dll", "staticlib": f"lib{crate}.a"}
    if os_ == "macos":
        return {"cdylib": f"lib{crate}.dylib", "staticlib": f"lib{crate}.a"}
    return {"cdylib": f"lib{crate}.so", "staticlib": f"lib{crate}.a"}


def drops_cdylib(target):
    """Static ELF targets: rustc drops cdylib with a static C runtime."""
    out = TABLE["targets"][target]["output"]
    return out["static"] and out["format"] == "elf"


def native_static_libs(rustc, target):
    """What a C program linking a Rust staticlib for `target` must also link (rustc's
    --print native-static-libs for an empty staticlib)."""
    tmp = Path(subprocess.run(["mktemp", "-d"], capture_output=True, text=True).stdout.strip())
    (tmp / "empty.rs").write_text("")
    p = subprocess.run([str(rustc), "--crate-type", "staticlib", "--target", target, "--print", "native-static-libs",
                        "-o", str(tmp / "libempty.a"), str(tmp / "empty.rs")], capture_output=True, text=True)
    for line in p.stderr.splitlines():
        if "native-static-libs:" in line:
            return line.split("native-static-libs:", 1)[1].split()
    raise SystemExit(f"rustc --print native-static-libs for {target} printed none:\n{p.stderr}")


def native_host_line(work, log):
    """c-abi-lib's line from the native build, through the host C compiler."""
    lib = work / "native-target" / "release" / "libc_abi_lib.so"
    exe = work / "native-dl-host"
    p = subprocess.run(["cc", "-O2", "-o", str(exe), str(HOSTS / "dl-host.c"), "-ldl"], capture_output=True, text=True)
    if p.returncode != 0 or not lib.exists():
        log(f"native c-abi-lib host failed: {p.stderr}")
        return None
    r = subprocess.run([str(exe), str(lib)], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def check(args, results, target, cargo_out, expected, cc_env, run_exe, check_file):
    """All library cells of `target`. `check_file(name, path)` runs nixcross check and
    returns (ok, summary or failure text); `run_exe(exe, argv)` runs a program of the
    target and returns (runner available, exit code, line)."""
    release = args.work / "target" / target / "release"
    for fixture, (crate, kinds, _has_bin, hosts) in LIBRARIES.items():
        if fixture not in args.binaries:
            continue
        names = file_names(target, crate)
        for kind in kinds:
            path = release / names[kind]
            cell = f"{target}/{fixture}/{kind}"
            if kind == "cdylib" and drops_cdylib(target):
                warned = f"dropping unsupported crate type `cdylib` for target `{target}`" in cargo_out
                results.add(cell, warned and not path.exists(),
                            "target limitation, as expected: rustc drops cdylib with a static C runtime (warning shown, no file)"
                            if warned and not path.exists() else f"expected rustc to drop the cdylib; file exists: {path.exists()}")
                continue
            if not path.exists():
                results.add(cell, False, f"{path.name} was not built")
                continue
            ok, text = check_file(cell, path)
            results.add(cell, ok, text)
        if hosts:
            host_cells(args, results, target, release, names, kinds, expected, cc_env, run_exe, check_file)


def host_cells(args, results, target, release, names, kinds, expected, cc_env, run_exe, check_file):
    exe_suffix = TABLE["targets"][target]["output"]["exe_suffix"]
    cc = cc_env[f"CC_{target.replace('-', '_')}"]
    builds = []
    if "staticlib" in kinds and (release / names["staticlib"]).exists():
        libs = native_static_libs(args.work / "rustc-full", target)
        builds.append(("static-host", ["static-host.c", str(release / names["staticlib"])] + libs, []))
    if "cdylib" in kinds and not drops_cdylib(target) and (release / names["cdylib"]).exists():
        # The DLL next to the program (Windows' search order), named by file name.
        builds.append(("dl-host", ["dl-host.c"], [names["cdylib"]]))
    for name, inputs, argv in builds:
        cell = f"{target}/c-abi-lib/{name}"
        exe = release / f"{name}{exe_suffix}"
        # Linked as a release build would be: ELF programs without debug info (zig's
        # libunwind and the host's own DWARF name build directories, which check refuses;
        # rustc's release links strip it the same way). Mach-O and PE links get theirs
        # from nixcross's rules.
        strip = ["-Wl,--strip-debug"] if TABLE["targets"][target]["output"]["format"] == "elf" else []
        cmd = [cc, "-O2", "-o", str(exe)] + [str(HOSTS / i) if i.endswith(".c") else i for i in inputs] + strip
        p = subprocess.run(cmd, capture_output=True, text=True, env=cc_env, cwd=str(release))
        if p.returncode != 0:
            results.add(cell, False, "building the C host through nixcross failed:\n" + p.stdout + p.stderr)
            continue
        ok, summary = check_file(cell, exe)
        if not ok:
            results.add(cell, False, summary)
            continue
        ran, code, line = run_exe(exe, argv)
        if not ran:
            results.add(cell, True, f"{summary} (built by nixcross cc; not run: no runner for {target} on Linux)")
        elif code != 0:
            results.add(cell, False, f"exit {code}: {line}")
        elif line != expected:
            results.add(cell, False, f"printed '{line}', native printed '{expected}'")
        else:
            results.add(cell, True, f"{summary}; ran: {line}")
