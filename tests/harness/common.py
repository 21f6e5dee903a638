"""What the harness scripts (matrix.py, repro.py, release.py) and bench/prewarm.py share:
the targets the harness builds, the known upstream failures, and the test tally."""

import json
from pathlib import Path

# The targets the table links with zig (six); android cannot be linked here (no NDK).
TABLE = json.loads((Path(__file__).resolve().parents[2] / "crates/nixcross/targets.json").read_text())
TARGETS = [name for name, t in TABLE["targets"].items() if t["linker"] in ("zig", "zig-lld")]

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
