# Evaluation tests of the pure Nix layer (no nixpkgs needed). Evaluates to the list of
# failed assertions: [] means everything holds. Run by tests/nix/run.sh.
let
  table = import ../../nix/lib/targetTable.nix;
  validate = import ../../nix/lib/validateOptions.nix;
  targetEnv = import ../../nix/lib/targetEnv.nix;
  names = builtins.attrNames table.targets;
  check = name: cond:
    if cond
    then []
    else [name];
  valid = validate {
    hostSystem = "x86_64-linux";
    src = ./.;
    targets = names;
    acceptAndroidSdkLicense = true;
  };
  winEnv = targetEnv {
    target = "x86_64-pc-windows-gnu";
    linksDir = "/l";
  };
  muslEnv = targetEnv {
    target = "aarch64-unknown-linux-musl";
    linksDir = "/l";
    runner = "/q/bin/qemu-aarch64";
  };
  plan = target: hostSystem: options:
    import ../../nix/lib/targetPlan.nix {
      inherit target hostSystem options;
      linksDir = "/l";
      zig = "/z/bin/zig";
    };
  winOnX86 = plan "x86_64-pc-windows-gnu" "x86_64-linux" {};
  winWithWine = import ../../nix/lib/targetPlan.nix {
    target = "x86_64-pc-windows-gnu";
    hostSystem = "x86_64-linux";
    options = {};
    linksDir = "/l";
    runner = "/w/bin/wine";
  };
  mac = plan "aarch64-apple-darwin" "x86_64-linux" {
    darwinSdk = "/sdk";
    features = [
      "a"
      "b"
    ];
    noDefaultFeatures = true;
  };
  android = plan "aarch64-linux-android" "x86_64-linux" {
    androidApi = 30;
    env.EXTRA = "1";
  };
  # A stand-in for the two lib functions androidNixpkgsArgs uses.
  miniLib = {
    hasPrefix = p: str: builtins.substring 0 (builtins.stringLength p) str == p;
    getName = drv: drv.pname;
  };
  androidArgs = import ../../nix/lib/androidNixpkgsArgs.nix miniLib {
    stdenv.buildPlatform.system = "x86_64-linux";
    config = {
      allowUnfree = true;
      users = "config";
    };
  };
in
  builtins.concatLists [
    (check "the Android nixpkgs has no overlays, so ~/.config/nixpkgs/overlays cannot leak in under --impure" (
      androidArgs.overlays == [] && androidArgs.crossOverlays == []
    ))
    (check "the Android nixpkgs gets a fresh config: the licence, unfree for Android packages only, nothing of the user's" (
      androidArgs.config.android_sdk.accept_license
      && !(androidArgs.config ? allowUnfree)
      && !(androidArgs.config ? users)
      && androidArgs.config.allowUnfreePredicate {pname = "android-sdk-ndk-bundle";}
      && androidArgs.config.allowUnfreePredicate {pname = "androidsdk";}
      && !(androidArgs.config.allowUnfreePredicate {pname = "vscode";})
      && androidArgs.localSystem == "x86_64-linux"
    ))
    (check "the table has the eight targets" (builtins.length names == 8))
    (check "valid options come back unchanged" (valid.targets == names && valid.builder or "crane" == "crane"))
    (check "darwinSdk = \"nixpkgs\" is accepted once Apple's licence is" (
      (validate {
        hostSystem = "x86_64-linux";
        src = ./.;
        targets = ["aarch64-apple-darwin"];
        darwinSdk = "nixpkgs";
        acceptAppleSdkLicense = true;
      })
      .darwinSdk
      == "nixpkgs"
    ))
    (check "appleSdk takes the unpacked SDK from nixpkgs' apple-sdk_<N>.src" (
      import ../../nix/lib/appleSdk.nix {
        pkgs = {
          apple-sdk_15 = {
            src = "/nix/store/0000-macOS-SDK-15.5";
          };
        };
      }
      == "/nix/store/0000-macOS-SDK-15.5"
    ))
    (check "non-android targets need no licence" (
      (validate {
        hostSystem = "aarch64-linux";
        src = ./.;
        targets = ["aarch64-apple-darwin"];
      })
      .targets
      == ["aarch64-apple-darwin"]
    ))
    (check "windows env names the dlltool link in RUSTFLAGS" (
      winEnv.CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS
      == "-C target-feature=+crt-static -C dlltool=/l/nixcross-x86_64-pc-windows-gnu-dlltool"
    ))
    (check "no runner variable when there is no runner" (!(winEnv ? CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER)))
    (check "runner is passed through" (muslEnv.CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_RUNNER == "/q/bin/qemu-aarch64"))
    (check "cc-rs variables use underscores" (muslEnv.CC_aarch64_unknown_linux_musl == "/l/nixcross-aarch64-unknown-linux-musl-cc"))
    (check "every runner names a nixpkgs package and program" (
      builtins.all (
        t: let
          r = table.targets.${t}.runner;
        in
          r == null || (r ? nix_package && r ? nix_program)
      )
      names
    ))
    (check "android targets use the NDK's clang" (
      builtins.all (t: table.targets.${t}.os != "android" || table.targets.${t}.linker == "ndk-clang") names
    ))
    (check "musl and windows outputs must be static" (
      builtins.all (
        t: table.targets.${t}.os == "macos" || table.targets.${t}.os == "android" || table.targets.${t}.output.static
      )
      names
    ))
    (check "plan: windows on x86_64-linux asks nixpkgs for the mingw emulator (wine)" (
      winOnX86.emulatorFor == "x86_64-w64-mingw32"
    ))
    (check "plan: no wine for windows on aarch64-linux hosts" (
      (plan "x86_64-pc-windows-gnu" "aarch64-linux" {}).emulatorFor == null
    ))
    (check "plan: aarch64 musl on x86_64-linux gets qemu-user through aarch64-unknown-linux-musl" (
      (plan "aarch64-unknown-linux-musl" "x86_64-linux" {}).emulatorFor == "aarch64-unknown-linux-musl"
    ))
    (check "plan: a target native to the host needs no emulator and runs its tests" (
      let
        p = plan "aarch64-unknown-linux-musl" "aarch64-linux" {};
      in
        p.emulatorFor == null && p.runTests && p.drvAttrs.doCheck
    ))
    (check "plan: tests are off without a runner" (!winOnX86.runTests && !winOnX86.drvAttrs.doCheck))
    (check "plan: tests run with a runner, which goes to CARGO_TARGET_<T>_RUNNER" (
      winWithWine.runTests && winWithWine.env.CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER == "/w/bin/wine"
    ))
    (check "plan: doCheck = false turns tests off even with a runner" (!(import ../../nix/lib/targetPlan.nix {
        target = "x86_64-pc-windows-gnu";
        hostSystem = "x86_64-linux";
        options.doCheck = false;
        linksDir = "/l";
        runner = "/w/bin/wine";
      })
      .runTests))
    (check "plan: wine gets a writable prefix" (
      builtins.match ".*WINEPREFIX=.*" winWithWine.preConfigure != null
    ))
    (check "plan: darwin tests are off (no runner on Linux)" (!mac.runTests))
    (check "plan: darwin keeps crane away from its signed pages" (
      mac.drvAttrs.doNotRemoveReferencesToVendorDir && mac.drvAttrs.doNotRemoveReferencesToRustToolchain
    ))
    (check "plan: no strip or patchelf for foreign binaries" (
      builtins.all (p: p.drvAttrs.dontStrip && p.drvAttrs.dontPatchELF) [
        winOnX86
        mac
        android
      ]
    ))
    (check "plan: darwinSdk goes to NIXCROSS_DARWIN_SDK" (mac.env.NIXCROSS_DARWIN_SDK == "/sdk"))
    (check "plan: darwinSdk is not passed to other targets" (!((plan "x86_64-pc-windows-gnu" "x86_64-linux" {darwinSdk = "/sdk";}).env ? NIXCROSS_DARWIN_SDK)))
    (check "plan: features and --no-default-features reach cargo" (
      mac.cargoExtraArgs == "--locked --no-default-features --features a,b"
    ))
    (check "plan: CARGO_BUILD_TARGET is the target" (mac.env.CARGO_BUILD_TARGET == "aarch64-apple-darwin"))
    (check "plan: android API level and user env reach the build" (
      android.env.NIXCROSS_ANDROID_API == "30" && android.env.EXTRA == "1"
    ))
    (check "plan: the zig path reaches NIXCROSS_ZIG" (mac.env.NIXCROSS_ZIG == "/z/bin/zig"))
    (check "plan: the sandbox gets a writable zig cache" (
      builtins.match ".*NIXCROSS_CACHE_DIR=.*TMPDIR.*" mac.preConfigure != null
    ))
    (check "plan: a prewarmed zig cache reaches NIXCROSS_PREWARMED_CACHE" (
      (import ../../nix/lib/targetPlan.nix {
        target = "x86_64-unknown-linux-musl";
        hostSystem = "x86_64-linux";
        options = {};
        linksDir = "/l";
        prewarmedCache = "/cache";
      })
      .env
      .NIXCROSS_PREWARMED_CACHE
      == "/cache"
    ))
    (check "plan: build scripts' host tools from the table, nasm only for x86_64 Windows, none with hostTools = false" (
      (plan "x86_64-pc-windows-gnu" "x86_64-linux" {}).hostTools
      == ["cmake" "nasm" "perl" "pkg-config" "rustPlatform.bindgenHook"]
      && (plan "aarch64-apple-darwin" "x86_64-linux" {}).hostTools == ["cmake" "perl" "pkg-config" "rustPlatform.bindgenHook"]
      && (plan "x86_64-pc-windows-gnu" "x86_64-linux" {hostTools = false;}).hostTools == []
      && (plan "x86_64-pc-windows-gnu" "x86_64-linux" {}).drvAttrs.dontUseCmakeConfigure
    ))
    (check "plan: zig targets prewarm by default, android (NDK libc) never, and it can be turned off" (
      mac.prewarmZigCache
      && !android.prewarmZigCache
      && !(plan "x86_64-pc-windows-gnu" "x86_64-linux" {prewarmZigCache = false;}).prewarmZigCache
    ))
    (check "plan: no NIXCROSS_PREWARMED_CACHE for android even if given" (!((import ../../nix/lib/targetPlan.nix {
        target = "aarch64-linux-android";
        hostSystem = "x86_64-linux";
        options = {};
        linksDir = "/l";
        prewarmedCache = "/cache";
      })
      .env
      ? NIXCROSS_PREWARMED_CACHE)))
    (check "release archives: zip exactly for windows targets" (
      builtins.all (
        t:
          table.targets.${t}.output.archive
          == (
            if table.targets.${t}.os == "windows"
            then "zip"
            else "tar.gz"
          )
      )
      names
    ))
    (check "universal2-apple-darwin merges the two macOS targets" (
      table.universal.universal2-apple-darwin.slices
      == [
        "x86_64-apple-darwin"
        "aarch64-apple-darwin"
      ]
    ))
  ]
