# What `import pkgs.path args` gives in the upstream evaluation (androidNdk.nix imports
# nixpkgs a second time for androidenv): only androidenv.composeAndroidPackages, which
# records its arguments. The NDK's fake store path is hashed from the fingerprint of
# both calls (fingerprint.nix), so a derivation's NIXCROSS_ANDROID_NDK tells the harness
# how nixpkgs was imported even though androidNdk.nix returns only a string.
args: let
  record = import ../record.nix;
  fingerprint = import ./fingerprint.nix;
in {
  # The import arguments as given, for anything that gets hold of this set.
  __importArgs = args;
  androidenv.composeAndroidPackages = composeArgs: {
    __composeArgs = composeArgs;
    ndk-bundle = record.make "androidenv.composeAndroidPackages.ndk-bundle" (_: {
      name = "android-ndk-bundle";
      __standInKey = builtins.toJSON (fingerprint args composeArgs);
      passthru = {
        importArgs = args;
        inherit composeArgs;
      };
    });
  };
}
