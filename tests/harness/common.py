"""What the harness scripts (matrix.py, repro.py, release.py) and bench/prewarm.py share:
the targets the harness builds, the known upstream failures, and the test tally."""

import json
from pathlib import Path

# The targets the table links with zig (six); android cannot be linked here (no NDK).
TABLE = json.loads((Path(__file__).resolve().parents[2] / "crates/nixcross/targets.json").read_text())
TARGETS = [name for name, t in TABLE["targets"].items() if t["linker"] in ("zig", "zig-lld")]

# The fixtures: name -> (the cargo workspace that holds it, relative to the repository;
# its build group; the targets repro.py builds it a second time for: "all", or a list).
# hello-cross is the flake template's crate, the one `nix build .#<target>` builds.
#
# Build groups: cargo unifies the features of shared dependencies across the packages of
# one invocation, so a fixture's binary depends on what it is built with (ring with or
# without rustls's features, libc's features with or without openssl-sys). The matrix
# builds one group per invocation and repro.py rebuilds a fixture with exactly its group,
# so the two builds are comparable.
#
# repro.py rebuilds what has its own way of differing between builds: a Rust-only link
# (hello-std), C and assembly through cc-rs (ring-digest), C that stamps dates
# (date-stamp), the template, and OpenSSL, which embeds its build directory, for ELF and
# signed Mach-O. Left out, to keep CI inside its time budget: rustls-config and
# tui-frame (Rust code over ring and crossterm: nothing nixcross compiles or links
# differently from hello-std and ring-digest), the macOS-framework fixtures (the same zig
# Mach-O links), and openssl-vendored for aarch64 musl, x86_64 macOS and x86_64 Windows
# (OpenSSL's slowest build, 3 minutes: PE links are proven reproducible by the other
# fixtures, byte for byte, on both Windows targets; what is no longer shown for PE is only
# that OpenSSL's embedded build directory is its sole difference there).
ALL = "all"
FIXTURES = {
    "hello-std": ("tests/corpus", "core", ALL),
    "ring-digest": ("tests/corpus", "core", ALL),
    "date-stamp": ("tests/corpus", "core", ALL),
    "openssl-vendored": ("tests/corpus", "openssl", ["x86_64-unknown-linux-musl", "aarch64-apple-darwin"]),
    "rustls-config": ("tests/corpus", "more", []),
    "tui-frame": ("tests/corpus", "more", []),
    "chrono-local": ("tests/corpus", "more", []),
    "tls-connector": ("tests/corpus", "more", []),
    "sysinfo-memory": ("tests/corpus", "more", []),
    "hello-cross": ("templates/default", "template", ALL),
    # Build scripts' own tools (issue 13): CMake through the cmake crate, bindgen over the
    # C library's headers, aws-lc (NASM on x86_64 Windows). Not rebuilt by repro.py: their
    # C code reaches zig through the same cc-rs/cc paths as ring-digest's and date-stamp's.
    "cmake-lib": ("tests/corpus", "buildtools", []),
    "bindgen-layout": ("tests/corpus", "buildtools", []),
    "aws-lc-digest": ("tests/corpus", "buildtools", []),
    # Libraries (see LIBRARIES): a library-only crate, and a binary with a cdylib. Not
    # rebuilt by repro.py: their links are the same zig links as the programs' (a shared
    # link adds no input that differs between builds), and CI time is kept for the rest.
    "c-abi-lib": ("tests/corpus", "libs", []),
    "bin-and-cdylib": ("tests/corpus", "libs", []),
}

# Library fixtures: name -> (the library's crate name (file names), the crate types it
# builds, whether it has a binary, whether the C host programs in <crate>/hosts load it).
LIBRARIES = {
    "c-abi-lib": ("c_abi_lib", ["cdylib", "staticlib"], False, True),
    "bin-and-cdylib": ("bin_and_cdylib", ["cdylib"], True, False),
}


def groups(binaries):
    """`binaries` as build groups, in a stable order: (workspace, [members])."""
    out = {}
    for b in binaries:
        ws, group, _ = FIXTURES[b]
        out.setdefault((group, ws), []).append(b)
    return [(ws, members) for (_, ws), members in sorted(out.items())]


def repro_targets(name):
    """The targets repro.py rebuilds `name` for (None: all of them)."""
    wanted = FIXTURES[name][2]
    return None if wanted == ALL else wanted


# Upstream limitations: (target, binary) -> text the build must fail with. The cell
# passes only if the build fails with exactly this reason.
EXPECTED_FAILURES = {
    ("aarch64-pc-windows-gnullvm", "openssl-vendored"): "don't know how to configure OpenSSL for aarch64-pc-windows-gnullvm",
}

# What rcodesign 0.29 prints for every ad-hoc signature (it has no certificate chain).
RCODESIGN_EXPECTED = ("no cryptographic signature present", "Error: problems reported during verification")


class Results:
    def __init__(self):
        self.rows = []

    def add(self, name, ok, detail=""):
        self.rows.append((name, ok, detail))
        mark = "PASS" if ok else "FAIL"
        print(f"  {mark} {name}{': ' + detail if detail else ''}", flush=True)

    @property
    def failed(self):
        return [r for r in self.rows if not r[1]]
