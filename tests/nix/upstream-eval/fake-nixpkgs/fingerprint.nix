# fingerprint importArgs composeArgs -> what the fake nixpkgs remembers of one
# `import pkgs.path importArgs` followed by androidenv.composeAndroidPackages composeArgs,
# as JSON-able data (the arguments hold functions, which cannot be compared).
#
# allowUnfreePredicate is asked about a few packages the way nixpkgs asks it (with the
# derivation's attributes, lib.getName reading pname): the Android SDK's must be allowed,
# anything else not.
let
  probes = [
    "android-sdk-ndk-bundle"
    "android-sdk-platform-tools"
    "androidsdk"
    "hello"
    "steam"
    "vscode"
  ];
  probe = name: {
    pname = name;
    version = "1.0";
    name = "${name}-1.0";
  };
in
  importArgs: composeArgs: {
    argNames = builtins.attrNames importArgs;
    localSystem = importArgs.localSystem or null;
    # Lists of functions: their lengths say whether anything was passed on.
    overlays =
      if importArgs ? overlays
      then builtins.length importArgs.overlays
      else null;
    crossOverlays =
      if importArgs ? crossOverlays
      then builtins.length importArgs.crossOverlays
      else null;
    configNames = builtins.attrNames (importArgs.config or {});
    androidSdk = importArgs.config.android_sdk or null;
    unfreeAllowed = builtins.listToAttrs (
      map (name: {
        inherit name;
        value =
          if importArgs.config ? allowUnfreePredicate
          then importArgs.config.allowUnfreePredicate (probe name)
          else null;
      })
      probes
    );
    compose = composeArgs;
  }
