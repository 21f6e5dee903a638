# targetEnv { target; linksDir; zig ? null; zigLibDir ? null; runner ? null; ndk ? null;
#             androidApi ? null; cargoHome ? null; }
#
# The environment that makes `cargo build --target <target>` use the nixcross wrapper:
# exactly the variables `nixcross env --target <target>` prints (tests/nix compares
# the two). `linksDir` holds the nixcross-<target>-<role> links and the CMake toolchain
# files; `zig`, `runner` and `ndk` are store paths (or null when the target has none);
# `zigLibDir` is zig's lib directory (its libc headers, for bindgen). `cargoHome`, when
# given, is remapped to /cargo in the outputs, as `nixcross env` does with CARGO_HOME
# (Nix builds remap their vendored sources in targetPlan's preConfigure instead).
let
  table = import ./targetTable.nix;
  s = import ./strings.nix;
in
  {
    target,
    linksDir,
    zig ? null,
    zigLibDir ? null,
    runner ? null,
    ndk ? null,
    androidApi ? null,
    cargoHome ? null,
  }: let
    entry =
      table.targets.${target}
      or (throw "nixcross: unknown target '${target}'; supported targets: ${s.concatSep ", " (builtins.attrNames table.targets)}");
    prefix = s.cargoTargetPrefix target;
    suffix = s.ccSuffix target;
    link = role: "${linksDir}/nixcross-${target}-${role}";
    usesDlltool = builtins.elem "dlltool" entry.rule_sets;
    rustflags =
      entry.rustflags
      ++ (
        if usesDlltool
        then [
          "-C"
          "dlltool=${link "dlltool"}"
        ]
        else []
      )
      ++ (
        if cargoHome != null
        then ["--remap-path-prefix=${cargoHome}=/cargo"]
        else []
      );
    # Build scripts' tools (crates/nixcross/src/tools/buildtools.rs does the same).
    tools = entry.build_tools;
    clangTarget =
      if entry.os == "macos"
      then tools.llvm_target + entry.output.min_os_version
      else if entry.os == "android"
      then
        tools.llvm_target
        + toString (
          if androidApi != null
          then androidApi
          else entry.android_api
        )
      else tools.llvm_target;
    bindgenArgs =
      ["--target=${clangTarget}"]
      ++ (
        if zigLibDir != null
        then
          ["-nostdlibinc"]
          ++ builtins.concatMap (dir: [
            "-idirafter"
            "${zigLibDir}/${dir}"
          ]) (tools.zig_libc_include_dirs ++ ["include"])
        else ["--sysroot=${ndk}/${tools.ndk_sysroot}"]
      );
  in
    s.optionalAttrs (zig != null) {NIXCROSS_ZIG = zig;}
    // s.optionalAttrs (ndk != null) {NIXCROSS_ANDROID_NDK = ndk;}
    # The CARGO_HOME map for C code too (__FILE__; the wrapper's c-file-prefix-map rule).
    // s.optionalAttrs (cargoHome != null) {NIXCROSS_PREFIX_MAP = "${cargoHome}=/cargo";}
    # macOS: an existing empty SDKROOT stops rustc running xcrun (and warning on every link);
    # zig links with its own libSystem stubs. A user's own SDKROOT (options.env) wins.
    // s.optionalAttrs ((entry.empty_sdkroot or null) != null) {
      SDKROOT = "${linksDir}/${entry.empty_sdkroot}";
    }
    // {
      "${prefix}LINKER" = link "linker";
    }
    // s.optionalAttrs (rustflags != []) {"${prefix}RUSTFLAGS" = s.concatSep " " rustflags;}
    // s.optionalAttrs (runner != null) {"${prefix}RUNNER" = runner;}
    // {
      "CC_${suffix}" = link "cc";
      "CXX_${suffix}" = link "c++";
      "AR_${suffix}" = link "ar";
      "RANLIB_${suffix}" = link "ranlib";
      "CMAKE_TOOLCHAIN_FILE_${suffix}" = "${linksDir}/nixcross-${target}.cmake";
      "PKG_CONFIG_${suffix}" = link "pkg-config";
    }
    // s.optionalAttrs (zigLibDir != null || ndk != null) {
      "BINDGEN_EXTRA_CLANG_ARGS_${suffix}" = s.concatSep " " (map s.shellWord bindgenArgs);
    }
