"""What the harness scripts (matrix.py, repro.py, release.py) and bench/prewarm.py share:
the targets the harness builds, the known upstream failures, and the test tally."""

import json
from pathlib import Path

# The targets the table links with zig (six); android cannot be linked here (no NDK).
TABLE = json.loads((Path(__file__).resolve().parents[2] / "crates/nixcross/targets.json").read_text())
TARGETS = [name for name, t in TABLE["targets"].items() if t["linker"] in ("zig", "zig-lld")]

# The fixtures: name -> (the cargo workspace that holds it, relative to the repository;
# the targets repro.py builds it a second time for: "all", or a list). hello-cross is
# the flake template's crate, the one `nix build .#<target>` builds.
#
# repro.py rebuilds what has its own way of differing between builds: a Rust-only link
# (hello-std), C and assembly through cc-rs (ring-digest), C that stamps dates
# (date-stamp), the template, and OpenSSL, which embeds its build directory, once per
# binary format (ELF, PE, signed Mach-O). Left out, to keep CI inside its time budget:
# rustls-config and tui-frame (Rust code over ring and crossterm: nothing nixcross
# compiles or links differently from hello-std and ring-digest), the macOS-framework
# fixtures (the same zig Mach-O links), and openssl-vendored for aarch64 musl and x86_64
# macOS (the same linkers and checks as x86_64 musl and arm64 macOS).
ALL = "all"
FIXTURES = {
    "hello-std": ("tests/corpus", ALL),
    "ring-digest": ("tests/corpus", ALL),
    "rustls-config": ("tests/corpus", []),
    "tui-frame": ("tests/corpus", []),
    "openssl-vendored": ("tests/corpus", ["x86_64-unknown-linux-musl", "x86_64-pc-windows-gnu", "aarch64-apple-darwin"]),
    "chrono-local": ("tests/corpus", []),
    "tls-connector": ("tests/corpus", []),
    "sysinfo-memory": ("tests/corpus", []),
    "date-stamp": ("tests/corpus", ALL),
    "hello-cross": ("templates/default", ALL),
}


def repro_targets(name):
    """The targets repro.py rebuilds `name` for (None: all of them)."""
    wanted = FIXTURES[name][1]
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
