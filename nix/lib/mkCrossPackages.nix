# mkCrossPackages { src; targets; ... } -> { <target> = derivation; ... }
#
# The public entry point; every option and its default is in docs/API.md. Options are
# validated first (validateOptions.nix), so mistakes fail evaluation with a message that
# names the fix. One toolchain carries rust-std for all requested targets, and crane's
# vendored dependencies are shared by all of them.
{
  pkgs,
  crane,
  naersk,
  rustBin,
  nixcross,
  zig,
}:
args:
let
  lib = pkgs.lib;
  options = import ./validateOptions.nix (
    args // { hostSystem = pkgs.stdenv.hostPlatform.system; }
  );
  toolchain = import ./mkToolchain.nix rustBin {
    inherit (options) targets;
    rustToolchain = options.rustToolchain or null;
    rustToolchainFile = options.rustToolchainFile or null;
  };
  craneLib = (crane.mkLib pkgs).overrideToolchain (_: toolchain);
  naerskLib = pkgs.callPackage naersk {
    cargo = toolchain;
    rustc = toolchain;
  };
  crateName = craneLib.crateNameFromCargoToml { inherit (options) src; };
  shared = {
    pname = options.pname or crateName.pname;
    version = options.version or crateName.version;
    cargoVendorDir = craneLib.vendorCargoDeps { inherit (options) src; };
  };
  mkOne = import ./mkCrossPackage.nix {
    inherit
      pkgs
      craneLib
      naerskLib
      nixcross
      zig
      ;
  };
in
lib.genAttrs options.targets (
  target:
  mkOne {
    inherit target options shared;
  }
)
