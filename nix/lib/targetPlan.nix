# targetPlan { target; hostSystem; options; linksDir; zig ? null; zigLibDir ? null;
#              runner ? null; ndk ? null; prewarmedCache ? null; toolchain ? null; }
#   -> what the derivation for one target must look like
#
# Every per-target decision of mkCrossPackages, as plain data: environment, whether
# tests run, which fixup steps stay off, the cargo arguments. Pure (builtins only), so
# tests/nix checks it without nixpkgs; mkCrossPackage.nix only maps it onto packages.
# `options` are mkCrossPackages' arguments after validateOptions.
let
  table = import ./targetTable.nix;
  s = import ./strings.nix;
  targetEnv = import ./targetEnv.nix;
in
  {
    target,
    hostSystem,
    options,
    linksDir,
    zig ? null,
    # zig's lib directory ("${zig}/lib/zig" in nixpkgs): bindgen gets its libc headers.
    zigLibDir ? null,
    runner ? null,
    ndk ? null,
    # zig's libc for this target built once (mkZigCache.nix), or null.
    prewarmedCache ? null,
    # The Rust toolchain's store path, remapped out of the outputs, or null.
    toolchain ? null,
  }: let
    entry = table.targets.${target};
    isDarwin = entry.os == "macos";
    isAndroid = entry.os == "android";
    runsNatively = (entry.native_on or null) == hostSystem;
    usesZig = entry.linker != "ndk-clang";
    features = options.features or [];
    cargoExtraArgs = s.concatSep " " (
      [(options.cargoExtraArgs or "--locked")]
      ++ (
        if options.noDefaultFeatures or false
        then ["--no-default-features"]
        else []
      )
      ++ (
        if features != []
        then ["--features" (s.concatSep "," features)]
        else []
      )
    );
  in rec {
    inherit cargoExtraArgs;
    # An emulator nixpkgs can provide for this target on this host (lib.systems'
    # selectEmulator), or null: no runner and the tests cannot run.
    emulatorFor =
      if !runsNatively && (entry.nix_emulator_for or null) != null && builtins.elem hostSystem (entry.nix_emulator_hosts or [])
      then entry.nix_emulator_for
      else null;
    # nixpkgs runs the check phase whenever doCheck is set (buildPlatform.canExecute is
    # about the stdenv, which is native here): cargo test needs a way to run the target's
    # binaries, else tests are off (darwin, android, aarch64 windows).
    runTests = (options.doCheck or true) && (runsNatively || runner != null);
    env =
      targetEnv {
        inherit
          target
          linksDir
          zig
          zigLibDir
          runner
          ndk
          ;
        androidApi = options.androidApi or null;
      }
      // {
        CARGO_BUILD_TARGET = target;
      }
      // s.optionalAttrs (isAndroid && options.androidApi or null != null) {
        NIXCROSS_ANDROID_API = toString options.androidApi;
      }
      // s.optionalAttrs (usesZig && prewarmedCache != null) {
        NIXCROSS_PREWARMED_CACHE = toString prewarmedCache;
      }
      // s.optionalAttrs (isDarwin && options.darwinSdk or null != null) {
        NIXCROSS_DARWIN_SDK = toString options.darwinSdk;
      }
      // (options.env or {});
    # nixpkgs attribute paths of the host tools build scripts run (targets.json's
    # host_tools for this target): mkCrossPackage puts them in nativeBuildInputs.
    hostTools =
      if options.hostTools or true
      then map (t: t.nixpkgs) (builtins.filter (t: !(t ? targets) || builtins.elem target t.targets) table.host_tools)
      else [];
    # Attributes for stdenv.mkDerivation (through crane or naersk).
    drvAttrs =
      {
        strictDeps = true;
        # cmake is there for the cmake crate; its setup hook must not take over the
        # configure phase (crane and naersk define their own, this only makes sure).
        dontUseCmakeConfigure = true;
        doCheck = runTests;
        # The host's strip and patchelf do not understand foreign binaries (and must not
        # touch a Mach-O's signed pages); nixcross links release binaries without debug info.
        dontStrip = true;
        dontPatchELF = true;
      }
      // s.optionalAttrs isDarwin {
        # crane rewrites store paths inside installed files with sed; in a Mach-O that
        # invalidates the ad-hoc code signature, and macOS kills an arm64 binary whose
        # signature does not verify.
        doNotRemoveReferencesToVendorDir = true;
        doNotRemoveReferencesToRustToolchain = true;
      };
    # The target's cargo rustflags variable; preConfigure appends the remaps to it.
    rustflagsVar = "${s.cargoTargetPrefix target}RUSTFLAGS";
    # Shell run before cargo: writable caches in the sandbox (HOME is not writable there),
    # and source paths remapped. rustc writes the paths of the vendored crates (crane's
    # cargoVendorDir, naersk's cratesio_sources/git_sources), the toolchain and the build
    # directory into binaries (panic messages, file!()): remapped, the outputs refer to no
    # store path and need no scrubbing, which would break Mach-O signatures. They go into
    # the target's own rustflags variable because cargo then ignores CARGO_BUILD_RUSTFLAGS,
    # where naersk puts its remaps.
    preConfigure =
      ''
        export NIXCROSS_CACHE_DIR="$TMPDIR/nixcross-cache"
        if [ ! -w "''${HOME:-/homeless-shelter}" ]; then export HOME="$TMPDIR/home"; mkdir -p "$HOME"; fi
        nixcross_remap=""
        nixcross_cmap=""
        for nixcross_path in "''${cargoVendorDir:-}" "''${cratesio_sources:-}" "''${git_sources:-}"${
          if toolchain != null
          then " ${toolchain}"
          else ""
        }; do
          if [ -n "$nixcross_path" ]; then
            nixcross_remap="$nixcross_remap --remap-path-prefix=$nixcross_path=/nix-sources"
            nixcross_cmap="$nixcross_cmap $nixcross_path=/nix-sources"
          fi
        done
        nixcross_remap="$nixcross_remap --remap-path-prefix=$NIX_BUILD_TOP=/build"
        export ${rustflagsVar}="''${${rustflagsVar}:-}$nixcross_remap"
        # The same maps for C code built by cc-rs and CMake (__FILE__ in aws-lc, OpenSSL).
        export NIXCROSS_PREFIX_MAP="''${NIXCROSS_PREFIX_MAP:-}$nixcross_cmap $NIX_BUILD_TOP=/build"
      ''
      + (
        if entry.os == "windows" && runner != null
        then ''
          export WINEPREFIX="$TMPDIR/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
        ''
        else ""
      );
    # Run on the installed binaries after fixup: the output must have the format,
    # architecture, linkage and signature the table promises.
    checkCommand = "nixcross check --target ${target}";
    exeSuffix = entry.output.exe_suffix;
    # Whether mkCrossPackage should build zig's libc once for this target (mkZigCache).
    prewarmZigCache = usesZig && (options.prewarmZigCache or true);
  }
