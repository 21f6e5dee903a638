# mkLib { pkgs; crane; naersk; rust-overlay; } -> the nixcross library for one pkgs
#
# `crane`, `naersk` and `rust-overlay` are the flake inputs (crane's flake, naersk's
# source, rust-overlay's flake). Everything is built for pkgs' host system; the target
# comes from the table (crates/nixcross/targets.json). See docs/API.md.
{
  pkgs,
  crane,
  naersk,
  rust-overlay,
  zig ? pkgs.zig,
}: let
  rustBin = rust-overlay.lib.mkRustBin {} pkgs;
  # Statically linked (musl): rustc and cc-rs start it for every compile and link, and
  # dynamic loading was 40% of its instructions per call (bench/overhead.py).
  nixcross = pkgs.pkgsStatic.callPackage ./nixcrossPackage.nix {};
in {
  inherit nixcross zig rustBin;
  table = import ./targetTable.nix;
  targetNames = builtins.attrNames (import ./targetTable.nix).targets;
  mkCrossPackages = import ./mkCrossPackages.nix {
    inherit
      pkgs
      crane
      naersk
      rustBin
      nixcross
      zig
      ;
  };
  mkDevShell = import ./mkDevShell.nix {
    inherit
      pkgs
      nixcross
      zig
      rustBin
      ;
  };
  # The flake's devShells.default: for working on nixcross itself.
  mkNixcrossDevShell = import ./mkNixcrossDevShell.nix {
    inherit
      pkgs
      nixcross
      zig
      rustBin
      ;
  };
  checkOutput = import ./checkOutput.nix {inherit pkgs nixcross;};
  # Apple's macOS SDK from nixpkgs' apple-sdk source (Apple's licence applies):
  # appleSdk { version = "15"; } -> path, for darwinSdk or NIXCROSS_DARWIN_SDK.
  appleSdk = {version ? "15"}: import ./appleSdk.nix {inherit pkgs version;};
  # Lower-level pieces of mkCrossPackages, for builds it does not cover.
  mkZigCache = import ./mkZigCache.nix {inherit pkgs nixcross zig;};
  mkUniversal2 = import ./mkUniversal2.nix {inherit pkgs nixcross;};
  mkRelease = import ./mkRelease.nix {inherit pkgs nixcross;};
  targetEnv = import ./targetEnv.nix;
  validateOptions = import ./validateOptions.nix;
}
