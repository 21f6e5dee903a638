"""What the harness scripts (matrix.py, repro.py, release.py) and bench/prewarm.py share:
the targets the harness builds, the known upstream failures, and the test tally."""

import json
from pathlib import Path

# The targets the table links with zig (six); android cannot be linked here (no NDK).
TABLE = json.loads((Path(__file__).resolve().parents[2] / "crates/nixcross/targets.json").read_text())
TARGETS = [name for name, t in TABLE["targets"].items() if t["linker"] in ("zig", "zig-lld")]

# The fixtures: name -> (the cargo workspace that holds it, relative to the repository;
# whether repro.py builds it a second time). hello-cross is the flake template's crate,
# the one `nix build .#<target>` builds. The macOS-framework fixtures are not rebuilt
# by repro.py: they prove linking without an SDK, through the same zig links whose
# reproducibility the others prove.
FIXTURES = {
    "hello-std": ("tests/corpus", True),
    "ring-digest": ("tests/corpus", True),
    "rustls-config": ("tests/corpus", True),
    "sqlite-bundled": ("tests/corpus", True),
    "tui-frame": ("tests/corpus", True),
    "openssl-vendored": ("tests/corpus", True),
    "chrono-local": ("tests/corpus", False),
    "tls-connector": ("tests/corpus", False),
    "sysinfo-memory": ("tests/corpus", False),
    "date-stamp": ("tests/corpus", True),
    "hello-cross": ("templates/default", True),
}

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
