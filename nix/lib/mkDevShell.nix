# mkDevShell { pkgs; nixcross; zig; rustBin; } { target; rustToolchain ? null;
#   rustToolchainFile ? null; acceptAndroidSdkLicense ? false; androidNdkVersion ? null; }
#   -> a shell in which `cargo build --target <target>` uses nixcross
#
# The shell hook runs `nixcross env --target <target>`, the same command people use
# without Nix, so the shell and the non-Nix path cannot drift apart.
{
  pkgs,
  nixcross,
  zig,
  rustBin,
}: {
  target,
  rustToolchain ? null,
  rustToolchainFile ? null,
  acceptAndroidSdkLicense ? false,
  androidNdkVersion ? null,
  packages ? [],
}: let
  lib = pkgs.lib;
  table = import ./targetTable.nix;
  options = import ./validateOptions.nix {
    hostSystem = pkgs.stdenv.hostPlatform.system;
    src = null;
    targets = [target];
    inherit
      rustToolchain
      rustToolchainFile
      acceptAndroidSdkLicense
      androidNdkVersion
      ;
  };
  entry = table.targets.${target};
  plan = import ./targetPlan.nix {
    inherit target options;
    hostSystem = pkgs.stdenv.hostPlatform.system;
    linksDir = "${nixcross}/libexec/nixcross";
  };
  emulator = import ./emulatorFor.nix pkgs plan.emulatorFor;
  toolchain = import ./mkToolchain.nix rustBin {
    targets = [target];
    inherit rustToolchain rustToolchainFile;
  };
in
  # Validation first: without it an android shell would accept the NDK's licence (through
  # androidNdk.nix) without the caller having said so.
  builtins.seq options pkgs.mkShell {
    name = "nixcross-${target}";
    # Build scripts' host tools as in mkCrossPackages' builds (targets.json's host_tools).
    packages =
      [
        toolchain
        nixcross
      ]
      ++ map (path: lib.getAttrFromPath (lib.splitString "." path) pkgs) plan.hostTools
      ++ packages;
    NIXCROSS_ZIG = "${zig}/bin/zig";
    NIXCROSS_ANDROID_NDK =
      if entry.linker == "ndk-clang"
      then
        import ./androidNdk.nix {
          inherit pkgs;
          ndkVersion = androidNdkVersion;
        }
      else "";
    shellHook = ''
      ${lib.optionalString (emulator != null) ''export PATH="${builtins.dirOf emulator}:$PATH"''}
      eval "$(nixcross env --target ${target})"
      echo "nixcross: cargo build --target ${target} links with nixcross (nixcross env --target ${target} shows how)" >&2
    '';
  }
