# androidNdk { pkgs; ndkVersion ? null; } -> the NDK root directory (a store path string)
#
# The NDK is unfree and licence-gated in nixpkgs. mkCrossPackages only calls this after
# the user passed acceptAndroidSdkLicense = true (validateOptions.nix). The acceptance
# goes into a second nixpkgs instance that is used for androidenv alone, so the user's
# own pkgs keeps its config.
{
  pkgs,
  ndkVersion ? null,
}:
let
  androidPkgs = import pkgs.path {
    localSystem = pkgs.stdenv.buildPlatform;
    config = pkgs.config // {
      android_sdk.accept_license = true;
      allowUnfree = true;
    };
  };
  composition = androidPkgs.androidenv.composeAndroidPackages (
    {
      includeNDK = true;
    }
    // (if ndkVersion != null then { ndkVersions = [ ndkVersion ]; } else { })
  );
in
# compose-android-packages.nix: each NDK plugin is installed under
# libexec/android-sdk/ndk-bundle; ndk-bundle is the first (the chosen) one.
"${composition.ndk-bundle}/libexec/android-sdk/ndk-bundle"
