# androidNdk { pkgs; ndkVersion ? null; } -> the NDK root directory (a store path string)
#
# The NDK is unfree and licence-gated in nixpkgs. mkCrossPackages only calls this after
# the user passed acceptAndroidSdkLicense = true (validateOptions.nix). The acceptance
# goes into a second nixpkgs instance used for androidenv alone, so the user's own pkgs
# keeps its config. That instance gets a fresh config (nixpkgs documents re-feeding an
# evaluated `pkgs.config` as unsupported), unfree allowed for the Android SDK packages
# only, and no overlays: under --impure, which the flake's Android path needs, nixpkgs
# would otherwise read ~/.config/nixpkgs/overlays into the build.
{
  pkgs,
  ndkVersion ? null,
}: let
  inherit (pkgs) lib;
  androidPkgs = import pkgs.path (androidNixpkgsArgs pkgs);
  composition = androidPkgs.androidenv.composeAndroidPackages (
    {
      includeNDK = true;
    }
    // (
      if ndkVersion != null
      then {ndkVersions = [ndkVersion];}
      else {}
    )
  );
  androidNixpkgsArgs = import ./androidNixpkgsArgs.nix lib;
in
  # compose-android-packages.nix: each NDK plugin is installed under
  # libexec/android-sdk/ndk-bundle; ndk-bundle is the first (the chosen) one.
  "${composition.ndk-bundle}/libexec/android-sdk/ndk-bundle"
