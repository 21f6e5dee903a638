# mkCrossPackages { src; targets; ... }
#   -> { <target> = derivation; ...; universal2-apple-darwin (when both macOS targets
#        are built); jniLibs (when an Android target is built: its .so files as
#        jniLibs/<abi>/); release (every target packed by nixcross bundle); }
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
}: args: let
  lib = pkgs.lib;
  validated = import ./validateOptions.nix (
    args // {hostSystem = pkgs.stdenv.hostPlatform.system;}
  );
  # darwinSdk = "nixpkgs": Apple's SDK from nixpkgs' apple-sdk source (licence accepted
  # in validateOptions); a path stays as it is.
  options =
    validated
    // lib.optionalAttrs ((validated.darwinSdk or null) == "nixpkgs") {
      darwinSdk = import ./appleSdk.nix {
        inherit pkgs;
        version = validated.appleSdkVersion or "15";
      };
    };
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
  crateName = craneLib.crateNameFromCargoToml {inherit (options) src;};
  shared = {
    pname = options.pname or crateName.pname;
    version = options.version or crateName.version;
    cargoVendorDir = craneLib.vendorCargoDeps {inherit (options) src;};
  };
  mkOne = import ./mkCrossPackage.nix {
    inherit
      pkgs
      craneLib
      naerskLib
      nixcross
      zig
      toolchain
      ;
  };
  perTarget = lib.genAttrs options.targets (
    target:
      mkOne {
        inherit target options shared;
      }
  );
  universal =
    lib.optionalAttrs (perTarget ? x86_64-apple-darwin && perTarget ? aarch64-apple-darwin)
    {
      universal2-apple-darwin = import ./mkUniversal2.nix {inherit pkgs nixcross;} {
        inherit (shared) pname version;
        x86_64 = perTarget.x86_64-apple-darwin;
        aarch64 = perTarget.aarch64-apple-darwin;
      };
    };
  android = lib.filterAttrs (target: _: (import ./targetTable.nix).targets.${target}.os == "android") perTarget;
  jniLibs = lib.optionalAttrs (android != {}) {
    jniLibs = import ./mkJniLibs.nix {inherit pkgs;} {
      inherit (shared) pname;
      packages = android;
    };
  };
  outputs = perTarget // universal;
in
  outputs
  // jniLibs
  // {
    release = import ./mkRelease.nix {inherit pkgs nixcross;} {
      inherit (shared) pname version;
      packages = outputs;
      includes = options.releaseIncludes or [];
    };
  }
