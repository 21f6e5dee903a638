# mkZigCache { pkgs; nixcross; zig; } { target; toolchain; } -> zig's libc for `target`, built once
#
# The first link of every build for a zig target makes zig compile musl / mingw-w64 /
# compiler-rt / libunwind from source. This derivation does it once per (target,
# toolchain, zig, nixcross), with `nixcross prewarm`: a std-only program linked through
# nixcross by the same toolchain, so zig computes the same cache keys as real builds.
# Builds get NIXCROSS_PREWARMED_CACHE pointing here; their first link copies it into
# their writable cache (see crates/nixcross/src/prewarm.rs).
{
  pkgs,
  nixcross,
  zig,
}: {
  target,
  toolchain,
}:
pkgs.runCommand "nixcross-zig-libc-${target}"
{
  nativeBuildInputs = [
    toolchain
    nixcross
  ];
  NIXCROSS_ZIG = "${zig}/bin/zig";
  passthru = {inherit target;};
}
''
  export HOME="$TMPDIR/home" CARGO_HOME="$TMPDIR/cargo"
  mkdir -p "$HOME"
  nixcross prewarm --target ${target} --out "$out"
''
