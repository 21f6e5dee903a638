# androidNixpkgsArgs lib pkgs -> the arguments androidNdk.nix imports nixpkgs with
#
# Separate, so that tests/nix can check them without importing nixpkgs: the build
# platform of `pkgs`, a fresh config that accepts the Android SDK licence and allows
# unfree for the Android packages only (their names start with "android", e.g.
# android-sdk-ndk-bundle, androidsdk), and no overlays or cross overlays.
lib: pkgs: {
  localSystem = pkgs.stdenv.buildPlatform.system;
  config = {
    android_sdk.accept_license = true;
    allowUnfreePredicate = pkg: lib.hasPrefix "android" (lib.getName pkg);
  };
  overlays = [];
  crossOverlays = [];
}
