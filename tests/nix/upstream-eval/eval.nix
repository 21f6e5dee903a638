# The upstream evaluation: nixcross's nix/lib with the real crane, naersk, rust-overlay
# and nixpkgs lib, over the stand-in pkgs (stand-in-pkgs.nix), which records every
# derivation instead of building it. run.sh evaluates `results` (a list of
# { name; ok; detail; }), runs `preConfigureRuns` in bash, and expects `androidRefused`
# and `devShellAndroidRefused` to fail with the licence message.
#
# upstream: a directory holding crane/, naersk/, rust-overlay/ and nixpkgs-lib/ (run.sh
# has checked them against flake.lock). nixcrossEnv: a JSON file mapping each target to
# what `nixcross env --target <t> --shell json` printed, with the links directory, zig and
# the NDK written as @LINKS@, @ZIG@ and @NDK@. repo: the nixcross checkout whose nix/lib
# is evaluated (another one to check that the assertions can fail).
{
  upstream,
  nixcrossEnv,
  repo ? ../../..,
}: let
  lib = import ./lib.nix upstream;
  record = import ./record.nix;
  fingerprint = import ./fake-nixpkgs/fingerprint.nix;

  # A user's pkgs with settings of its own: none of them may reach the second nixpkgs
  # that androidNdk.nix imports.
  userConfig = {
    allowUnfree = true;
    permittedInsecurePackages = ["user-insecure-1.0"];
    android_sdk.accept_license = false;
  };
  pkgs = import ./stand-in-pkgs.nix {
    inherit lib;
    config = userConfig;
    overlays = [(_final: _prev: {})];
  };

  # The flake inputs as flake.nix hands them to nix/lib: crane's and rust-overlay's flake
  # outputs (rust-overlay's nixpkgs input is the real lib), naersk's plain source.
  crane = let
    outputs = (import (upstream + "/crane/flake.nix")).outputs {self = outputs;};
  in
    outputs;
  rust-overlay = let
    outputs = (import (upstream + "/rust-overlay/flake.nix")).outputs {
      self = outputs;
      nixpkgs = {inherit lib;};
    };
  in
    outputs;
  naersk = upstream + "/naersk";

  nc = import (repo + "/nix/lib") {
    inherit
      pkgs
      crane
      naersk
      rust-overlay
      ;
  };
  table = import (repo + "/nix/lib/targetTable.nix");
  targets = builtins.attrNames table.targets;
  entryOf = t: table.targets.${t};
  isDarwin = t: (entryOf t).os == "macos";
  isAndroid = t: (entryOf t).os == "android";
  windowsTargets = builtins.filter (t: (entryOf t).os == "windows") targets;
  usesZig = t: (entryOf t).linker != "ndk-clang";
  hostSystem = "x86_64-linux";
  isForeign = t: ((entryOf t).native_on or null) != hostSystem;
  fixture = repo + "/templates/default";

  build = builder:
    nc.mkCrossPackages {
      src = fixture;
      inherit targets builder;
      acceptAndroidSdkLicense = true;
    };
  builds = {
    crane = build "crane";
    naersk = build "naersk";
  };
  builders = builtins.attrNames builds;
  # The host tools switched off, and one of the user's own added.
  noHostTools = builder:
    nc.mkCrossPackages {
      src = fixture;
      targets = ["x86_64-pc-windows-gnu"];
      inherit builder;
      hostTools = false;
      extraNativeBuildInputs = [pkgs.zstd];
    };

  # The dependency-only derivation behind a target's main one.
  depsOf = builder: main:
    if builder == "crane"
    then main.drvAttrs.cargoArtifacts
    else builtins.head main.drvAttrs.builtDependencies;

  # --- Ground truth, written out rather than derived from nix/lib ------------------

  zigPath = "${pkgs.zig}/bin/zig";
  linksDir = "${nc.nixcross}/libexec/nixcross";
  # What nixpkgs' lib.systems selectEmulator gives on x86_64-linux for the targets the
  # table marks as emulated there; the others run natively or not at all.
  wine64 = (pkgs.winePackagesFor "wine64").minimal;
  expectedRunner = {
    aarch64-unknown-linux-musl = "${pkgs.qemu-user}/bin/qemu-aarch64";
    x86_64-pc-windows-gnu = "${wine64}/bin/wine";
  };
  # cargo test can run: natively, or under the emulator above.
  expectedDoCheck = {
    x86_64-unknown-linux-musl = true;
    aarch64-unknown-linux-musl = true;
    x86_64-pc-windows-gnu = true;
    aarch64-pc-windows-gnullvm = false;
    x86_64-apple-darwin = false;
    aarch64-apple-darwin = false;
    x86_64-linux-android = false;
    aarch64-linux-android = false;
  };
  # How the second nixpkgs must be imported: the build platform, no overlays, a fresh
  # config with the licence accepted and unfree allowed for the Android SDK only.
  expectedAndroidImport = {
    argNames = [
      "config"
      "crossOverlays"
      "localSystem"
      "overlays"
    ];
    localSystem = hostSystem;
    overlays = 0;
    crossOverlays = 0;
    configNames = [
      "allowUnfreePredicate"
      "android_sdk"
    ];
    androidSdk = {
      accept_license = true;
    };
    unfreeAllowed = {
      android-sdk-ndk-bundle = true;
      android-sdk-platform-tools = true;
      androidsdk = true;
      hello = false;
      steam = false;
      vscode = false;
    };
    compose = {
      includeNDK = true;
    };
  };
  expectedNdk = "${
    record.storePathFor (builtins.toJSON expectedAndroidImport) "android-ndk-bundle"
  }/libexec/android-sdk/ndk-bundle";
  # For messages only: the fingerprint of the arguments nix/lib would import with.
  actualAndroidImport =
    fingerprint (import (repo + "/nix/lib/androidNixpkgsArgs.nix") lib pkgs)
    {
      includeNDK = true;
    };

  rustEnv = builtins.fromJSON (builtins.readFile nixcrossEnv);
  fill = ndk: value:
    builtins.replaceStrings
    [
      "@LINKS@"
      "@ZIGPKG@"
      "@NDK@"
    ]
    [
      linksDir
      "${pkgs.zig}"
      ndk
    ]
    value;

  # --- Helpers -----------------------------------------------------------------------

  check = name: ok: detail: {
    inherit name ok;
    # Only failures show (and force) their detail.
    detail =
      if ok
      then ""
      else detail;
  };
  # JSON for messages: derivations as their paths, functions as a marker.
  show = v: let
    clean = x:
      if builtins.isFunction x
      then "<function>"
      else if lib.isDerivation x
      then "${x}"
      else if builtins.isAttrs x
      then builtins.mapAttrs (_: clean) x
      else if builtins.isList x
      then map clean x
      else x;
  in
    builtins.toJSON (clean v);
  hasInfix = lib.hasInfix;
  stringAttrs = drv: lib.filterAttrs (_: builtins.isString) drv.drvAttrs;
  # The variables nixcross's environment consists of.
  isEnvName = n:
    builtins.match "(CARGO_.*|CC_.*|CXX_.*|AR_.*|RANLIB_.*|NIXCROSS_.*|SDKROOT|CMAKE_TOOLCHAIN_FILE_.*|PKG_CONFIG_.*|BINDGEN_EXTRA_CLANG_ARGS_.*)" n != null;
  envOf = drv: lib.filterAttrs (n: _: isEnvName n) drv.drvAttrs;
  inputsOf = drv:
    map toString (
      (drv.drvAttrs.nativeBuildInputs or [])
      ++ (drv.drvAttrs.buildInputs or [])
      ++ (drv.drvAttrs.propagatedBuildInputs or [])
      ++ (drv.drvAttrs.packages or [])
    );
  noZig = label: drv:
    check "${label}: zig is not an input (its setup hook would reset ZIG_GLOBAL_CACHE_DIR)" (!(builtins.elem (toString pkgs.zig) (inputsOf drv))) "inputs: ${show (inputsOf drv)}";
  # wine's DLL overrides that keep a fresh prefix from installing Mono and Gecko, as a
  # line that exports them (before anything runs wine).
  wineNoMonoGecko = ''WINEDLLOVERRIDES="mscoree,mshtml="'';
  exportsWineOverrides = script:
    builtins.any (line: builtins.match " *export .*${lib.escapeRegex wineNoMonoGecko}( .*)?" line != null) (
      lib.splitString "\n" script
    );
  # builtins.derivation turns every attribute into an environment variable: only strings,
  # numbers, booleans, null, paths, derivations and lists of them can be. (mkDerivation
  # takes passthru, meta and env out first.)
  coercible = v:
    builtins.isString v
    || builtins.isBool v
    || builtins.isInt v
    || builtins.isFloat v
    || builtins.isPath v
    || v == null
    || (builtins.isAttrs v && v ? outPath)
    || (builtins.isList v && builtins.all coercible v);
  # Only where the recorded arguments become the derivation's attributes: buildRustPackage,
  # makeSetupHook, writeText and the like consume theirs (cargoLock, substitutions, ...).
  argsBecomeAttributes = drv:
    builtins.elem drv.standIn.function [
      "stdenv.mkDerivation"
      "stdenvNoCC.mkDerivation"
      "runCommand"
      "runCommandLocal"
      "runCommandCC"
      "symlinkJoin"
      "mkShell"
    ];
  # mkDerivation's `env` takes single values only (no lists).
  envCoercible = v: !(builtins.isList v) && coercible v;
  argProblems = drv:
    lib.optionals (argsBecomeAttributes drv) (
      builtins.attrNames (
        lib.filterAttrs (
          n: v:
            !(builtins.elem n [
              "passthru"
              "meta"
              "env"
            ])
            && !(coercible v)
        )
        drv.drvAttrs
      )
      ++ map (n: "env.${n}") (
        builtins.attrNames (lib.filterAttrs (_: v: !(envCoercible v)) (drv.drvAttrs.env or {}))
      )
    );
  # What instantiating a derivation forces: every derivation its attributes hold, down to
  # the sources (the stand-in keeps no string contexts, so derivations that are only
  # interpolated into strings are not followed).
  isRecorded = x: builtins.isAttrs x && x ? standIn;
  # Not followed: crane's dummy source for buildDepsOnly (mkDummySrc), whose script reads
  # directories through string paths like ".../Cargo.toml/../src"; Nix 2.8's readDir does
  # not resolve the "..", newer Nix does.
  notFollowed = drv: lib.optional (drv.drvAttrs.env.CRANE_BUILD_DEPS_ONLY or null != null) "src";
  directRefs = drv:
    builtins.concatMap (
      v:
        if isRecorded v
        then [v]
        else if builtins.isList v
        then builtins.filter isRecorded v
        else []
    ) (builtins.attrValues (removeAttrs drv.drvAttrs (["passthru" "meta"] ++ notFollowed drv)));
  closureOf = roots:
    map (item: item.drv) (
      builtins.genericClosure {
        startSet =
          map (drv: {
            key = drv.outPath;
            inherit drv;
          })
          roots;
        operator = item:
          map (drv: {
            key = drv.outPath;
            inherit drv;
          }) (directRefs item.drv);
      }
    );
  coercibleCheck = label: roots: let
    closure = closureOf roots;
    bad = builtins.filter (d: argProblems d != []) closure;
  in
    check "${label}: all ${toString (builtins.length closure)} derivations in the closure have only attributes builtins.derivation accepts" (
      bad == []
    ) "attributes that cannot: ${show (map (d: {${d.name} = argProblems d;}) bad)}";
  # rust-overlay's toolchain: a symlinkJoin of components named <pname>-<version>-<target>.
  isToolchain = x: lib.isDerivation x && (x.standIn.function or "") == "symlinkJoin" && lib.hasPrefix "rust-" x.name;
  rustStdTargets = toolchain:
    map (c: lib.removePrefix "rust-std-${toolchain.version}-" c.name) (
      builtins.filter (c: lib.hasPrefix "rust-std-" c.name) toolchain.drvAttrs.paths
    );
  toolchainIn = inputs: lib.findFirst isToolchain null inputs;
  toolchainHas = label: toolchain: wanted:
    check "${label}: the toolchain has rust-std for ${builtins.concatStringsSep ", " wanted}" (
      toolchain != null && builtins.all (t: builtins.elem t (rustStdTargets toolchain)) wanted
    ) (
      if toolchain == null
      then "no rust-overlay toolchain among the inputs"
      else "rust-std for: ${show (rustStdTargets toolchain)}"
    );

  # targets.json's host_tools, written out: nasm for aws-lc-sys's x86_64 Windows code only.
  wantedHostTools = t:
    [
      "cmake"
      "perl"
      "pkg-config"
      "rustPlatform.bindgenHook"
    ]
    ++ lib.optional (t == "x86_64-pc-windows-gnu") "nasm";
  hostToolPackage = path: lib.getAttrFromPath (lib.splitString "." path) pkgs;

  # --- Per target and builder ----------------------------------------------------------

  perTarget = builder: t: let
    label = "${builder} ${t}";
    main = builds.${builder}.${t};
    deps = depsOf builder main;
    prefix = "CARGO_TARGET_${lib.toUpper (builtins.replaceStrings ["-"] ["_"] t)}_";
    rustflagsVar = "${prefix}RUSTFLAGS";
    checkCommand = "nixcross check --target ${t}";
    zigCache = main.passthru.zigCache;
    expectedEnv =
      builtins.mapAttrs (_: fill (main.drvAttrs.NIXCROSS_ANDROID_NDK or "@NDK@")) rustEnv.${t}
      // {
        CARGO_BUILD_TARGET = t;
      }
      // lib.optionalAttrs (usesZig t) {
        NIXCROSS_PREWARMED_CACHE = "${zigCache}";
      }
      // lib.optionalAttrs (expectedRunner ? ${t}) {
        "${prefix}RUNNER" = expectedRunner.${t};
      };
    envDiff = drv: let
      got = envOf drv;
      names = lib.unique (builtins.attrNames got ++ builtins.attrNames expectedEnv);
    in
      builtins.filter (d: d.got != d.want) (
        map (n: {
          name = n;
          got = got.${n} or null;
          want = expectedEnv.${n} or null;
        })
        names
      );
    remapPieces = [
      ''--remap-path-prefix=$nixcross_path=/nix-sources''
      ''--remap-path-prefix=$NIX_BUILD_TOP=/build''
      ''export ${rustflagsVar}="''${${rustflagsVar}:-}$nixcross_remap"''
    ];
    # crane's cargo and rustc, naersk's cargo: the toolchain mkCrossPackages made.
    toolchain = toolchainIn (main.drvAttrs.nativeBuildInputs or []);
    hasRemaps = drv:
      builtins.all (p: hasInfix p (drv.drvAttrs.preConfigure or "")) remapPieces
      && toolchain != null
      && hasInfix " ${toolchain}; do" (drv.drvAttrs.preConfigure or "");
  in
    [
      (check "${label}: the output check (${checkCommand}) is in the main derivation's postFixup" (
        hasInfix checkCommand (main.drvAttrs.postFixup or "")
      ) "postFixup: ${show (main.drvAttrs.postFixup or null)}")
      (check "${label}: the nixcross and zig store paths are scrubbed from the outputs before the check" (
        hasInfix "nixcross scrub --store-path ${nc.nixcross} --store-path ${pkgs.zig}" (main.drvAttrs.postFixup or "")
        && lib.hasInfix "nixcross scrub" (builtins.head (lib.splitString checkCommand (main.drvAttrs.postFixup or "")))
      ) "postFixup: ${show (main.drvAttrs.postFixup or null)}")
      (check "${label}: no output check in the dependency-only derivation ${deps.name}" (!(builtins.any (v: hasInfix "nixcross check" v) (builtins.attrValues (stringAttrs deps)))) "attributes with it: ${
        show (builtins.attrNames (lib.filterAttrs (_: v: hasInfix "nixcross check" v) (stringAttrs deps)))
      }")
      (check "${label}: the main derivation's environment is nixcross env's plus the plan's" (
        envDiff main == []
      ) "differences: ${show (envDiff main)}")
      (check "${label}: the dependency-only derivation has the same environment" (
        envDiff deps == []
      ) "differences: ${show (envDiff deps)}")
      (check "${label}: preConfigure appends the remaps (vendored sources, toolchain, build dir) to ${rustflagsVar}" (
        hasRemaps main
      ) "preConfigure: ${show (main.drvAttrs.preConfigure or null)}; toolchain: ${show toolchain}")
      (check "${label}: the dependency-only derivation's preConfigure has the same remaps" (
        hasRemaps deps
      ) "preConfigure: ${show (deps.drvAttrs.preConfigure or null)}")
      (coercibleCheck "${label} main and deps" [
        main
        deps
      ])
      (noZig "${label} main" main)
      (noZig "${label} deps" deps)
      (check "${label}: build scripts' host tools (${builtins.concatStringsSep ", " (wantedHostTools t)}) are inputs of main and deps" (
        builtins.all (drv: builtins.all (p: builtins.elem (toString p) (inputsOf drv)) (map hostToolPackage (wantedHostTools t))) [main deps]
        && (builtins.elem (toString pkgs.nasm) (inputsOf main)) == (t == "x86_64-pc-windows-gnu")
      ) "inputs: ${show (inputsOf main)}")
      (check "${label}: cmake's setup hook leaves the configure phase alone" (
        (main.drvAttrs.dontUseCmakeConfigure or false) == true
      ) "dontUseCmakeConfigure: ${show (main.drvAttrs.dontUseCmakeConfigure or null)}")
      (check "${label}: doCheck = ${lib.boolToString expectedDoCheck.${t}}" (
        (main.drvAttrs.doCheck or null) == expectedDoCheck.${t}
      ) "doCheck: ${show (main.drvAttrs.doCheck or null)}")
      (toolchainHas label toolchain [t])
    ]
    ++ lib.optionals (expectedRunner ? ${t} && (entryOf t).os == "windows") [
      (check "${label}: preConfigure gives wine a prefix in the build directory (tests run under wine)" (
        hasInfix ''export WINEPREFIX="$TMPDIR/wine"'' (main.drvAttrs.preConfigure or "")
      ) "preConfigure: ${show (main.drvAttrs.preConfigure or null)}")
      (check "${label}: preConfigure exports ${wineNoMonoGecko} (tests run under wine; a fresh prefix would install Mono and Gecko)" (
        exportsWineOverrides (main.drvAttrs.preConfigure or "")
      ) "preConfigure: ${show (main.drvAttrs.preConfigure or null)}")
      (check "${label}: the dependency-only derivation's preConfigure exports ${wineNoMonoGecko} too" (
        exportsWineOverrides (deps.drvAttrs.preConfigure or "")
      ) "preConfigure: ${show (deps.drvAttrs.preConfigure or null)}")
    ]
    ++ lib.optional (isForeign t) (
      check "${label}: dontStrip and dontPatchELF (foreign binaries)" (
        (main.drvAttrs.dontStrip or false) == true && (main.drvAttrs.dontPatchELF or false) == true
      ) "dontStrip: ${show (main.drvAttrs.dontStrip or null)}, dontPatchELF: ${show (main.drvAttrs.dontPatchELF or null)}"
    )
    ++ lib.optional (isDarwin t) (
      check "${label}: doNotRemoveReferencesToVendorDir and doNotRemoveReferencesToRustToolchain (macOS signatures)" (
        (main.drvAttrs.doNotRemoveReferencesToVendorDir or false)
        == true
        && (main.drvAttrs.doNotRemoveReferencesToRustToolchain or false) == true
      ) "got: ${show (lib.filterAttrs (n: _: lib.hasPrefix "doNotRemove" n) main.drvAttrs)}"
    )
    ++ lib.optionals (usesZig t) [
      (check "${label}: zig's libc is prewarmed by mkZigCache's derivation for ${t}" (
        zigCache != null && zigCache.name == "nixcross-zig-libc-${t}"
      ) "zigCache: ${show zigCache}")
      (noZig "${label} zig cache" zigCache)
    ]
    ++ lib.optionals (isAndroid t) [
      (check "${label}: no zig cache for an NDK target" (zigCache == null) "zigCache: ${show zigCache}")
      (check "${label}: the NDK comes from a nixpkgs imported with no overlays, no crossOverlays and a fresh config (licence accepted, unfree for android* only)" (
        (main.drvAttrs.NIXCROSS_ANDROID_NDK or null) == expectedNdk
      ) "NIXCROSS_ANDROID_NDK: ${show (main.drvAttrs.NIXCROSS_ANDROID_NDK or null)}, expected ${expectedNdk}; nix/lib's import arguments: ${show actualAndroidImport}; expected: ${show expectedAndroidImport}")
    ];

  # --- Dev shells ----------------------------------------------------------------------

  shellTargets = [
    "x86_64-pc-windows-gnu"
    "aarch64-unknown-linux-musl"
    "aarch64-apple-darwin"
    "aarch64-linux-android"
  ];
  perShell = t: let
    label = "mkDevShell ${t}";
    shell = nc.mkDevShell {
      target = t;
      acceptAndroidSdkLicense = isAndroid t;
    };
    toolchain = toolchainIn (shell.drvAttrs.packages or []);
    hook = shell.drvAttrs.shellHook or "";
  in
    [
      (check "${label}: a mkShell whose hook runs nixcross env --target ${t}" (
        shell.standIn.function == "mkShell" && hasInfix ''eval "$(nixcross env --target ${t})"'' hook
      ) "made by ${shell.standIn.function}; shellHook: ${show hook}")
      (check "${label}: packages hold nixcross and a toolchain" (
        builtins.elem (toString nc.nixcross) (inputsOf shell) && toolchain != null
      ) "packages: ${show (inputsOf shell)}")
      (toolchainHas label toolchain [t])
      (check "${label}: NIXCROSS_ZIG is zig's binary" (
        (shell.drvAttrs.NIXCROSS_ZIG or null) == zigPath
      ) "NIXCROSS_ZIG: ${show (shell.drvAttrs.NIXCROSS_ZIG or null)}")
      (noZig label shell)
      (coercibleCheck label [shell])
    ]
    ++ lib.optional (expectedRunner ? ${t}) (
      check "${label}: the emulator's directory is put on PATH" (
        hasInfix ''export PATH="${builtins.dirOf expectedRunner.${t}}:$PATH"'' hook
      ) "shellHook: ${show hook}"
    )
    ++ lib.optional (isAndroid t) (
      check "${label}: NIXCROSS_ANDROID_NDK is the NDK of the separately imported nixpkgs" (
        (shell.drvAttrs.NIXCROSS_ANDROID_NDK or null) == expectedNdk
      ) "NIXCROSS_ANDROID_NDK: ${show (shell.drvAttrs.NIXCROSS_ANDROID_NDK or null)}, expected ${expectedNdk}"
    );

  # mkDevShell's options go through validateOptions like mkCrossPackages' (its header
  # says so): a wrong one must fail evaluation of the whole shell.
  shellValidation = let
    shell = nc.mkDevShell {
      target = "x86_64-unknown-linux-musl";
      androidNdkVersion = 27;
    };
  in [
    (check "mkDevShell validates its options: androidNdkVersion = 27 (not a string) is refused" (!(builtins.tryEval (builtins.toJSON shell.drvAttrs)).success) "the whole shell evaluated, so the option was never validated")
  ];

  # --- Options reaching crane and naersk --------------------------------------------

  optionTargets = [
    "x86_64-pc-windows-gnu"
    "aarch64-linux-android"
  ];
  withOptions = builder: extra:
    nc.mkCrossPackages (
      {
        src = fixture;
        targets = optionTargets;
        inherit builder;
        acceptAndroidSdkLicense = true;
        features = [
          "a"
          "b"
        ];
        noDefaultFeatures = true;
        doCheck = false;
        env.NIXCROSS_TEST_EXTRA = "1";
        androidApi = 30;
        prewarmZigCache = false;
      }
      // extra
    );
  cargoArgs = "--locked --no-default-features --features a,b";
  perBuilderOptions = builder: let
    out = withOptions builder {};
    win = out.x86_64-pc-windows-gnu;
    android = out.aarch64-linux-android;
    # crane folds cargoExtraArgs into its phases; naersk passes its option lists on.
    cargoArgsReach = drv:
      if builder == "crane"
      then hasInfix cargoArgs drv.drvAttrs.buildPhase
      else
        builtins.elem cargoArgs drv.drvAttrs.cargo_build_options
        && builtins.elem cargoArgs drv.drvAttrs.cargo_test_options;
    # A postFixup of the user's own, given the way each builder takes overrides.
    userPostFixup = "echo user-postFixup";
    overridden =
      (withOptions builder (
        if builder == "crane"
        then {craneArgs.postFixup = userPostFixup;}
        else {naerskArgs.overrideMain = _old: {postFixup = userPostFixup;};}
      ))
      .x86_64-pc-windows-gnu;
  in [
    (check "${builder} options: features and noDefaultFeatures reach cargo in the main and dependency builds (${cargoArgs})" (
        cargoArgsReach win && cargoArgsReach (depsOf builder win)
      ) "buildPhase/cargo_build_options: ${
        show (win.drvAttrs.buildPhase or win.drvAttrs.cargo_build_options or null)
      }")
    (check "${builder} options: doCheck = false turns tests off where they could run" (
      win.drvAttrs.doCheck == false
    ) "doCheck: ${show win.drvAttrs.doCheck}")
    (check "${builder} options: env reaches the main and dependency builds" (
      (win.drvAttrs.NIXCROSS_TEST_EXTRA or null)
      == "1"
      && ((depsOf builder win).drvAttrs.NIXCROSS_TEST_EXTRA or null) == "1"
    ) "NIXCROSS_TEST_EXTRA: ${show (win.drvAttrs.NIXCROSS_TEST_EXTRA or null)}")
    (check "${builder} options: androidApi = 30 sets NIXCROSS_ANDROID_API" (
      (android.drvAttrs.NIXCROSS_ANDROID_API or null) == "30"
    ) "NIXCROSS_ANDROID_API: ${show (android.drvAttrs.NIXCROSS_ANDROID_API or null)}")
    (check "${builder} options: prewarmZigCache = false builds no zig cache" (
      win.passthru.zigCache == null && !(win.drvAttrs ? NIXCROSS_PREWARMED_CACHE)
    ) "zigCache: ${show win.passthru.zigCache}")
    (check "${builder} options: a user's postFixup (${
        if builder == "crane"
        then "craneArgs"
        else "naerskArgs.overrideMain"
      }) runs and the output check still follows it" (
        hasInfix userPostFixup (overridden.drvAttrs.postFixup or "")
        && hasInfix "nixcross check --target x86_64-pc-windows-gnu" (overridden.drvAttrs.postFixup or "")
      ) "postFixup: ${show (overridden.drvAttrs.postFixup or null)}")
  ];

  # --- universal2, release, mkZigCache -----------------------------------------------------

  perBuilderOutputs = builder: let
    out = builds.${builder};
    u2 = out.universal2-apple-darwin;
    release = out.release;
    packed = targets ++ ["universal2-apple-darwin"];
    u2Cmd = u2.drvAttrs.buildCommand or "";
    releaseCmd = release.drvAttrs.buildCommand or "";
  in [
    (check "${builder} universal2-apple-darwin: nixcross universal2 over both macOS builds' bin/" (
      hasInfix "nixcross universal2" u2Cmd
      && hasInfix "x86_64-apple-darwin=${out.x86_64-apple-darwin}/bin" u2Cmd
      && hasInfix "aarch64-apple-darwin=${out.aarch64-apple-darwin}/bin" u2Cmd
      && builtins.elem (toString nc.nixcross) (inputsOf u2)
    ) "buildCommand: ${show u2Cmd}; inputs: ${show (inputsOf u2)}")
    (noZig "${builder} universal2-apple-darwin" u2)
    (check "${builder} release: nixcross bundle over every target and universal2" (
      hasInfix "nixcross bundle" releaseCmd
      && builtins.all (t: hasInfix "${t}=${out.${t}}/bin" releaseCmd) packed
      && lib.sort lib.lessThan release.passthru.targets == lib.sort lib.lessThan packed
    ) "buildCommand: ${show releaseCmd}; passthru.targets: ${show release.passthru.targets}")
    (noZig "${builder} release" release)
    (check "${builder} jniLibs: the Android targets' .so files as jniLibs/<abi>/ (arm64-v8a, x86_64)" (
      let
        cmd = out.jniLibs.drvAttrs.buildCommand or "";
      in
        hasInfix "$out/jniLibs/arm64-v8a" cmd
        && hasInfix "${out.aarch64-linux-android}/lib/*.so" cmd
        && hasInfix "$out/jniLibs/x86_64" cmd
        && hasInfix "${out.x86_64-linux-android}/lib/*.so" cmd
        && hasInfix "an Android app loads a cdylib" cmd
    ) "jniLibs: ${show (out.jniLibs.drvAttrs.buildCommand or null)}")
    (check "${builder}: no jniLibs attribute without an Android target" (!((withOptions builder {targets = ["x86_64-unknown-linux-musl"];}) ? jniLibs)) "a musl-only build has jniLibs")
    (coercibleCheck "${builder} universal2-apple-darwin, release and zig caches" (
      [
        u2
        release
      ]
      ++ builtins.filter (c: c != null) (map (t: out.${t}.passthru.zigCache) targets)
    ))
  ];

  zigCacheChecks = let
    toolchain = rustToolchainFor ["x86_64-pc-windows-gnu"];
    cache = nc.mkZigCache {
      target = "x86_64-pc-windows-gnu";
      inherit toolchain;
    };
    cmd = cache.drvAttrs.buildCommand or "";
  in [
    (check "mkZigCache x86_64-pc-windows-gnu: nixcross prewarm with the toolchain and nixcross, NIXCROSS_ZIG set" (
      cache.name
      == "nixcross-zig-libc-x86_64-pc-windows-gnu"
      && hasInfix "nixcross prewarm --target x86_64-pc-windows-gnu --out \"$out\"" cmd
      && builtins.elem (toString toolchain) (inputsOf cache)
      && builtins.elem (toString nc.nixcross) (inputsOf cache)
      && (cache.drvAttrs.NIXCROSS_ZIG or null) == zigPath
    ) "name: ${cache.name}; buildCommand: ${show cmd}; inputs: ${show (inputsOf cache)}; NIXCROSS_ZIG: ${show (cache.drvAttrs.NIXCROSS_ZIG or null)}")
    (noZig "mkZigCache" cache)
  ];
  # The shell for working on nixcross (devShells.default): nix/lib's function, and the
  # flake's own output evaluated from flake.nix with the stand-in as every system's pkgs.
  flakeOutputs = (import (repo + "/flake.nix")).outputs {
    self = flakeOutputs;
    nixpkgs = {
      inherit lib;
      legacyPackages = {
        x86_64-linux = pkgs;
        aarch64-linux = pkgs;
      };
    };
    inherit crane naersk rust-overlay;
  };
  zigTargets = builtins.filter usesZig targets;
  nixcrossShellChecks = let
    shellCheck = label: shell: let
      toolchain = toolchainIn (shell.drvAttrs.packages or []);
    in [
      (check "${label}: a mkShell holding nixcross and a toolchain" (
        shell.standIn.function == "mkShell" && builtins.elem (toString nc.nixcross) (inputsOf shell) && toolchain != null
      ) "made by ${shell.standIn.function}; packages: ${show (inputsOf shell)}")
      (toolchainHas label toolchain zigTargets)
      (check "${label}: NIXCROSS_ZIG is zig's binary" (
        (shell.drvAttrs.NIXCROSS_ZIG or null) == zigPath
      ) "NIXCROSS_ZIG: ${show (shell.drvAttrs.NIXCROSS_ZIG or null)}")
      (noZig label shell)
      (coercibleCheck label [shell])
    ];
    withExtra = nc.mkNixcrossDevShell {packages = [pkgs.zstd];};
  in
    shellCheck "mkNixcrossDevShell" (nc.mkNixcrossDevShell {})
    ++ shellCheck "flake.nix devShells.x86_64-linux.default" flakeOutputs.devShells.x86_64-linux.default
    ++ [
      (check "mkNixcrossDevShell { packages = [ zstd ]; } adds zstd and keeps nixcross" (
        builtins.elem (toString pkgs.zstd) (inputsOf withExtra) && builtins.elem (toString nc.nixcross) (inputsOf withExtra)
      ) "packages: ${show (inputsOf withExtra)}")
    ];
  # The wrapper package and checkOutput, whose paths everything above refers to.
  packageChecks = let
    drv = nc.nixcross;
    muslCheck = nc.checkOutput {
      target = "aarch64-unknown-linux-musl";
      package = builds.crane.aarch64-unknown-linux-musl;
      expected = builds.crane.x86_64-unknown-linux-musl;
    };
    macCheck = nc.checkOutput {
      target = "aarch64-apple-darwin";
      package = builds.crane.aarch64-apple-darwin;
      expected = builds.crane.x86_64-unknown-linux-musl;
    };
  in
    [
      (check "nixcross package: buildRustPackage (-p nixcross) whose postInstall makes the links in libexec/nixcross" (
        drv.standIn.function
        == "rustPlatform.buildRustPackage"
        && hasInfix "links --dir $out/libexec/nixcross" (drv.drvAttrs.postInstall or "")
        && lib.hasPrefix "${builtins.storeDir}/" "${drv.drvAttrs.src}"
      ) "made by ${drv.standIn.function}; postInstall: ${show (drv.drvAttrs.postInstall or null)}")
      (check "checkOutput aarch64-unknown-linux-musl: nixcross check, then the binaries run under qemu-aarch64" (
        hasInfix "nixcross check --target aarch64-unknown-linux-musl ${builds.crane.aarch64-unknown-linux-musl}/bin/*" muslCheck.drvAttrs.buildCommand
        && hasInfix "got=$(${expectedRunner.aarch64-unknown-linux-musl} \"$bin\")" (
          muslCheck.drvAttrs.buildCommand
        )
      ) "buildCommand: ${show muslCheck.drvAttrs.buildCommand}")
      (check "checkOutput: the Windows targets (${builtins.concatStringsSep ", " windowsTargets}) are checked below, one of them under wine" (
        windowsTargets != [] && builtins.any (t: expectedRunner ? ${t}) windowsTargets
      ) "windows targets: ${show windowsTargets}")
    ]
    ++ lib.concatMap (
      t: let
        drv = nc.checkOutput {
          target = t;
          package = builds.crane.${t};
          expected = builds.crane.x86_64-unknown-linux-musl;
        };
        cmd = drv.drvAttrs.buildCommand;
        # Everything before the first program run (under the runner, where there is one).
        beforeRun = builtins.head (lib.splitString "got=$(" cmd);
      in
        [
          (check "checkOutput ${t}: exports ${wineNoMonoGecko} before any binary runs" (
            exportsWineOverrides beforeRun
          ) "buildCommand: ${show cmd}")
        ]
        ++ lib.optional (expectedRunner ? ${t}) (
          check "checkOutput ${t}: the binaries run under wine (${expectedRunner.${t}}), after that export" (
            hasInfix "got=$(${expectedRunner.${t}} \"$bin\")" cmd && exportsWineOverrides beforeRun
          ) "buildCommand: ${show cmd}"
        )
    )
    windowsTargets
    ++ [
      (check "checkOutput aarch64-apple-darwin: nixcross check only (nothing runs it on x86_64-linux)" (
        hasInfix "nixcross check --target aarch64-apple-darwin" macCheck.drvAttrs.buildCommand
        && hasInfix "checked by format only" macCheck.drvAttrs.buildCommand
      ) "buildCommand: ${show macCheck.drvAttrs.buildCommand}")
    ];
  rustToolchainFor = ts:
    nc.rustBin.stable.latest.minimal.override {
      targets = ts;
    };

  # --- Everything ------------------------------------------------------------------------

  results =
    [
      (check "the stand-in pkgs' host platform is lib.systems.elaborate x86_64-linux" (
        pkgs.stdenv.hostPlatform.config
        == "x86_64-unknown-linux-gnu"
        && pkgs.stdenv.hostPlatform.rust.rustcTarget == "x86_64-unknown-linux-gnu"
      ) "config: ${pkgs.stdenv.hostPlatform.config}")
      (check "nixcross env output is known for all ${toString (builtins.length targets)} targets" (
        lib.sort lib.lessThan (builtins.attrNames rustEnv) == lib.sort lib.lessThan targets
      ) "nixcross env for: ${show (builtins.attrNames rustEnv)}")
      (check "mkCrossPackages (crane and naersk) gives every target, universal2-apple-darwin, jniLibs and release" (
        builtins.all (
          b:
            lib.sort lib.lessThan (builtins.attrNames builds.${b})
            == lib.sort lib.lessThan (
              targets
              ++ [
                "universal2-apple-darwin"
                "jniLibs"
                "release"
              ]
            )
        )
        builders
      ) "crane: ${show (builtins.attrNames builds.crane)}; naersk: ${show (builtins.attrNames builds.naersk)}")
      (check "crane's main derivations are made by crane (stdenv.mkDerivation through mkCargoDerivation)" (
        builtins.all (
          t:
            builds.crane.${t}.standIn.function
            == "stdenv.mkDerivation"
            && builds.crane.${t}.drvAttrs ? cargoArtifacts
        )
        targets
      ) "functions: ${show (map (t: builds.crane.${t}.standIn.function) targets)}")
      (check "naersk's main derivations have their -deps build in builtDependencies" (
        builtins.all (
          t: let
            deps = builtins.head builds.naersk.${t}.drvAttrs.builtDependencies;
          in
            lib.hasSuffix "-deps-0.1.0" deps.name
        )
        targets
      ) "builtDependencies: ${show (map (t: builds.naersk.${t}.drvAttrs.builtDependencies or null) targets)}")
    ]
    ++ map (
      builder: let
        drv = (noHostTools builder).x86_64-pc-windows-gnu;
        inputs = inputsOf drv;
      in
        check "${builder}: hostTools = false leaves out cmake, nasm, perl, pkg-config and bindgen's hook, extraNativeBuildInputs adds" (
          !(builtins.any (p: builtins.elem (toString (hostToolPackage p)) inputs) (wantedHostTools "x86_64-pc-windows-gnu"))
          && builtins.elem (toString pkgs.zstd) inputs
          && builtins.elem (toString nc.nixcross) inputs
        ) "inputs: ${show inputs}"
    )
    builders
    ++ lib.concatMap (builder: lib.concatMap (perTarget builder) targets) builders
    ++ lib.concatMap perShell shellTargets
    ++ shellValidation
    ++ lib.concatMap perBuilderOptions builders
    ++ lib.concatMap perBuilderOutputs builders
    ++ zigCacheChecks
    ++ nixcrossShellChecks
    ++ packageChecks;

  # preConfigure as a build would run it: run.sh executes `script` in bash with `env` and
  # checks that `var` then carries a remap for each of `expectRemapped`.
  preConfigureRuns =
    lib.concatMap (
      builder:
        lib.concatMap (
          t: let
            main = builds.${builder}.${t};
            var = "CARGO_TARGET_${lib.toUpper (builtins.replaceStrings ["-"] ["_"] t)}_RUSTFLAGS";
            toolchain = toolchainIn (main.drvAttrs.nativeBuildInputs or []);
            run = kind: drv: let
              vendorEnv =
                if builder == "crane"
                then {cargoVendorDir = "${drv.drvAttrs.cargoVendorDir}";}
                else {
                  cratesio_sources = "${drv.drvAttrs.cratesio_sources}";
                  git_sources = "${drv.drvAttrs.git_sources}";
                };
            in {
              label = "${builder} ${t} ${kind}";
              script = drv.drvAttrs.preConfigure or "";
              inherit var;
              initial = drv.drvAttrs.${var} or null;
              env = vendorEnv;
              expectRemapped =
                builtins.attrValues vendorEnv ++ lib.optional (toolchain != null) "${toolchain}";
            };
          in [
            (run "main" main)
            (run "deps" (depsOf builder main))
          ]
        )
        targets
    )
    builders;
in {
  # The output check as the main derivation's postFixup runs it (run.sh runs each in
  # bash over a library-only, a program-and-library and an empty $out).
  checkOutputsRuns = lib.concatMap (
    builder:
      map (t: {
        label = "${builder} ${t}";
        target = t;
        script = builds.${builder}.${t}.drvAttrs.postFixup or "";
      }) ["x86_64-unknown-linux-musl" "aarch64-linux-android"]
  ) ["crane" "naersk"];
  # checkOutput's script (nix/lib/checkOutput.nix) for a natively run, a qemu-run and a
  # wine-run target, with the package and the native build as placeholders: run.sh runs
  # each in bash over fake programs that print more than one line, under a fake runner.
  checkOutputScripts =
    map (
      t: let
        drv = nc.checkOutput {
          target = t;
          package = {outPath = "@PACKAGE@";};
          expected = {outPath = "@EXPECTED@";};
        };
      in {
        label = "checkOutput ${t}";
        target = t;
        script = drv.drvAttrs.buildCommand;
        runner = expectedRunner.${t} or null;
        exeSuffix = (entryOf t).output.exe_suffix;
        wine = (entryOf t).os == "windows";
      }
    ) [
      "x86_64-unknown-linux-musl"
      "aarch64-unknown-linux-musl"
      "x86_64-pc-windows-gnu"
    ];
  inherit results preConfigureRuns;
  # Each must fail evaluation with the licence message.
  androidRefused = builtins.attrNames (
    nc.mkCrossPackages {
      src = fixture;
      targets = ["aarch64-linux-android"];
    }
  );
  # All of the shell, as `nix develop` would force it.
  devShellAndroidRefused =
    builtins.toJSON
    (
      nc.mkDevShell {
        target = "x86_64-linux-android";
      }
    )
    .drvAttrs;
}
