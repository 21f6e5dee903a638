# mkNixcrossDevShell { pkgs; nixcross; zig; rustBin; } { packages ? [ ]; }
#   -> the shell for working on nixcross itself (the flake's devShells.default)
#
# A toolchain with every zig target's rust-std, the wrapper, and NIXCROSS_ZIG naming
# zig's binary. zig itself is not in packages: its setup hook would give every shell a
# fresh empty ZIG_GLOBAL_CACHE_DIR, and nixcross would never reuse its cache
# (tests/nix/upstream-eval asserts both).
{
  pkgs,
  nixcross,
  zig,
  rustBin,
}: {packages ? []}: let
  table = import ./targetTable.nix;
  zigTargets = builtins.filter (t: table.targets.${t}.os != "android") (builtins.attrNames table.targets);
in
  pkgs.mkShell {
    packages =
      [
        (rustBin.stable.latest.default.override {targets = zigTargets;})
        nixcross
      ]
      ++ packages;
    NIXCROSS_ZIG = "${zig}/bin/zig";
  }
