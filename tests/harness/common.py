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
# (date-stamp) and the template, once per linker nixcross drives: ELF (lld), PE
# (lld-link) and signed Mach-O (zig's own linker and signature), on the targets in
# REPRO_TARGETS; and OpenSSL, which embeds its build directory, for ELF. Left out, to
# keep CI inside its time budget (45 minutes on 2 cores): the aarch64 ELF and PE and the
# x86_64 Mach-O rebuilds (the same linkers with the same nondeterminism fixes, rules
# windows-brepro and darwin-no-stabs, only for another CPU: what is no longer shown per
# run is that no CPU-specific difference appears there), rustls-config and tui-frame
# (Rust code over ring and crossterm: nothing nixcross compiles or links differently
# from hello-std and ring-digest), the macOS-framework, library and build-script
# fixtures (the same zig links and cc-rs compiles), and openssl-vendored on Mach-O
# (OpenSSL's slowest build; its one difference, the embedded build directory, is shown
# on ELF).
ALL = "all"
REPRO_TARGETS = ["x86_64-unknown-linux-musl", "x86_64-pc-windows-gnu", "aarch64-apple-darwin"]
FIXTURES = {
    "hello-std": ("tests/corpus", "core", ALL),
    "ring-digest": ("tests/corpus", "core", ALL),
    "date-stamp": ("tests/corpus", "core", ALL),
    "openssl-vendored": ("tests/corpus", "openssl", ["x86_64-unknown-linux-musl"]),
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
    """The targets repro.py rebuilds `name` for (ALL: every one of REPRO_TARGETS)."""
    wanted = FIXTURES[name][2]
    return REPRO_TARGETS if wanted == ALL else wanted


# Upstream limitations: (target, binary) -> text the build must fail with. The cell
# passes only if the build fails with exactly this reason.
EXPECTED_FAILURES = {
    ("aarch64-pc-windows-gnullvm", "openssl-vendored"): "don't know how to configure OpenSSL for aarch64-pc-windows-gnullvm",
}

# What rcodesign 0.29 prints for every ad-hoc signature (it has no certificate chain).
RCODESIGN_EXPECTED = ("no cryptographic signature present", "Error: problems reported during verification")


# Matrix cells that are not built, to keep CI inside its time budget: (target, fixture)
# -> what is no longer shown per run, and why that is acceptable. Reported as NOT RUN.
NOT_BUILT = {
    ("x86_64-pc-windows-gnu", "openssl-vendored"):
        "OpenSSL from source for mingw64 (3 minutes of a 2-core CI run); the C compiles and "
        "the PE link it needs are the ones ring-digest, aws-lc-digest and hello-cross (SQLite) "
        "make on this target, and OpenSSL itself is built on musl and macOS",
    ("x86_64-apple-darwin", "openssl-vendored"):
        "OpenSSL from source for darwin64-x86_64 (3 minutes); built for aarch64-apple-darwin, "
        "whose Configure and link paths differ only in the CPU",
}


class Results:
    def __init__(self):
        self.rows = []
        self.not_run = []

    def add(self, name, ok, detail=""):
        self.rows.append((name, ok, detail))
        mark = "PASS" if ok else "FAIL"
        print(f"  {mark} {name}{': ' + detail if detail else ''}", flush=True)

    def skip(self, name, reason):
        """A cell not run: counted as not run, never as passed."""
        self.not_run.append((name, reason))
        print(f"  NOT RUN {name}: {reason}", flush=True)

    @property
    def failed(self):
        return [r for r in self.rows if not r[1]]
