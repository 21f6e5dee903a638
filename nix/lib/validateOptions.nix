# validateOptions { hostSystem; targets; ...mkCrossPackages options } -> the options, checked
#
# Every mistake a user can make in mkCrossPackages' arguments fails evaluation here, with
# a message that says what to set. Pure (builtins only) so tests/nix can run it with no
# nixpkgs. The options and their defaults are documented in docs/API.md.
let
  table = import ./targetTable.nix;
  s = import ./strings.nix;
  known = builtins.attrNames table.targets;
  isAndroid = t: table.targets.${t}.os == "android";
  # androidenv's prebuilt NDK (toolchains/llvm/prebuilt/linux-x86_64) runs on x86_64-linux.
  androidHosts = ["x86_64-linux"];
  minAndroidApi = 21;
  fail = msg: throw "nixcross: ${msg}";
in
  {
    hostSystem,
    targets,
    builder ? "crane",
    acceptAndroidSdkLicense ? false,
    androidApi ? null,
    androidNdkVersion ? null,
    darwinSdk ? null,
    acceptAppleSdkLicense ? false,
    appleSdkVersion ? "15",
    rustToolchain ? null,
    rustToolchainFile ? null,
    cargoExtraArgs ? "--locked",
    features ? [],
    noDefaultFeatures ? false,
    env ? {},
    doCheck ? true,
    prewarmZigCache ? true,
    releaseIncludes ? [],
    hostTools ? true,
    extraNativeBuildInputs ? [],
    ...
  } @ opts: let
    knownOptions = [
      "hostSystem"
      "src"
      "targets"
      "pname"
      "version"
      "builder"
      "acceptAndroidSdkLicense"
      "androidApi"
      "androidNdkVersion"
      "darwinSdk"
      "acceptAppleSdkLicense"
      "appleSdkVersion"
      "rustToolchain"
      "rustToolchainFile"
      "cargoExtraArgs"
      "features"
      "noDefaultFeatures"
      "env"
      "doCheck"
      "craneArgs"
      "naerskArgs"
      "prewarmZigCache"
      "releaseIncludes"
      "hostTools"
      "extraNativeBuildInputs"
    ];
    unknownOptions = builtins.filter (n: !(builtins.elem n knownOptions)) (builtins.attrNames opts);
    unknown = builtins.filter (t: !(builtins.elem t known)) targets;
    android = builtins.filter isAndroid targets;
    checks = [
      {
        bad = unknownOptions != [];
        msg = "unknown option${
          if builtins.length unknownOptions > 1
          then "s"
          else ""
        } ${s.concatSep ", " unknownOptions} for mkCrossPackages; it takes: ${s.concatSep ", " (builtins.filter (n: n != "hostSystem") knownOptions)} (see docs/API.md)";
      }
      {
        bad = !(opts ? src);
        msg = "src is required: the crate's source, e.g. src = ./.; (a directory with Cargo.toml and Cargo.lock)";
      }
      {
        bad = !(builtins.isList targets) || targets == [];
        msg = "targets must be a non-empty list of target names, e.g. [ \"x86_64-unknown-linux-musl\" ]; supported: ${s.concatSep ", " known}";
      }
      {
        bad = unknown != [];
        msg = "unknown target${
          if builtins.length unknown > 1
          then "s"
          else ""
        } ${s.concatSep ", " (map (t: "'${t}'") unknown)}; supported targets: ${s.concatSep ", " known}";
      }
      {
        bad = !(builtins.elem builder ["crane" "naersk"]);
        msg = "builder must be \"crane\" (the default) or \"naersk\", not ${builtins.toJSON builder}";
      }
      {
        bad = android != [] && acceptAndroidSdkLicense != true;
        msg = "${s.concatSep " and " android} need${
          if builtins.length android == 1
          then "s"
          else ""
        } the Android NDK, which is unfree and licence-gated: read https://developer.android.com/studio/terms and pass acceptAndroidSdkLicense = true to mkCrossPackages (nixcross then sets android_sdk.accept_license and allows the unfree android-sdk packages for the NDK only)";
      }
      {
        bad = android != [] && !(builtins.elem hostSystem androidHosts);
        msg = "android targets need the NDK from nixpkgs' androidenv, which is prebuilt for x86_64-linux only; this host is ${hostSystem}: build android targets on an x86_64-linux machine or remote builder, or drop ${s.concatSep ", " android} from targets";
      }
      {
        bad = androidApi != null && (!(builtins.isInt androidApi) || androidApi < minAndroidApi);
        msg = "androidApi must be an integer >= ${toString minAndroidApi} (Rust's android targets need API ${toString minAndroidApi}+), not ${builtins.toJSON androidApi}";
      }
      {
        bad = darwinSdk != null && !(builtins.isPath darwinSdk || builtins.isString darwinSdk);
        msg = "darwinSdk must be a path to an unpacked macOS SDK (the directory holding System/Library/Frameworks and usr/lib), \"nixpkgs\" (nixpkgs' apple-sdk source), or null (nixcross's stubs only)";
      }
      {
        bad = darwinSdk == "nixpkgs" && acceptAppleSdkLicense != true;
        msg = "darwinSdk = \"nixpkgs\" downloads Apple's macOS SDK (nixpkgs' apple-sdk_${toString appleSdkVersion} source), which is licensed by Apple: read https://www.apple.com/legal/sla/docs/xcode.pdf and pass acceptAppleSdkLicense = true to mkCrossPackages; without an SDK, nixcross's stubs cover CoreFoundation, Security, SystemConfiguration, IOKit, CoreServices, Foundation, AppKit, libobjc and libiconv";
      }
      {
        bad = !(builtins.isString appleSdkVersion) || builtins.match "[0-9]+" appleSdkVersion == null;
        msg = "appleSdkVersion must be the major version of a nixpkgs apple-sdk_<N> package as a string, e.g. \"15\"";
      }
      {
        bad = rustToolchain != null && rustToolchainFile != null;
        msg = "set either rustToolchain (a function rust-bin: toolchain) or rustToolchainFile (a rust-toolchain.toml), not both";
      }
      {
        bad = rustToolchain != null && !(builtins.isFunction rustToolchain);
        msg = "rustToolchain must be a function from rust-overlay's rust-bin to a toolchain, e.g. rustToolchain = rust-bin: rust-bin.stable.\"1.98.0\".minimal; nixcross adds the targets' rust-std to it";
      }
      {
        bad = rustToolchainFile != null && !(builtins.isPath rustToolchainFile || builtins.isString rustToolchainFile);
        msg = "rustToolchainFile must be a path to a rust-toolchain.toml (or legacy rust-toolchain) file, e.g. ./rust-toolchain.toml";
      }
      {
        bad = !(builtins.isString cargoExtraArgs);
        msg = "cargoExtraArgs must be a string of cargo arguments, e.g. \"--locked --bin mytool\"";
      }
      {
        bad = !(builtins.isList features && builtins.all builtins.isString features);
        msg = "features must be a list of cargo feature names, e.g. [ \"vendored-openssl\" ]";
      }
      {
        bad = !(builtins.isBool noDefaultFeatures) || !(builtins.isBool doCheck) || !(builtins.isBool acceptAndroidSdkLicense) || !(builtins.isBool acceptAppleSdkLicense) || !(builtins.isBool prewarmZigCache);
        msg = "noDefaultFeatures, doCheck, acceptAndroidSdkLicense, acceptAppleSdkLicense and prewarmZigCache must be true or false";
      }
      {
        bad = !(builtins.isList releaseIncludes && builtins.all (f: builtins.isPath f || builtins.isString f) releaseIncludes);
        msg = "releaseIncludes must be a list of files added to every release archive, e.g. [ ./README.md ./LICENSE ]";
      }
      {
        bad = !(builtins.isAttrs env) || !(builtins.all (v: builtins.isString v || builtins.isPath v || builtins.isInt v) (builtins.attrValues env));
        msg = "env must be an attribute set of environment variables with string values, e.g. env = { OPENSSL_STATIC = \"1\"; }";
      }
      {
        bad = !(builtins.isBool hostTools);
        msg = "hostTools must be true (the default: cmake, nasm, perl, pkg-config and bindgen's libclang from nixpkgs in every build, as targets.json's host_tools lists them) or false (none; add your own with extraNativeBuildInputs)";
      }
      {
        bad = !(builtins.isList extraNativeBuildInputs);
        msg = "extraNativeBuildInputs must be a list of packages added to every target's build, e.g. [ pkgs.protobuf ]";
      }
      {
        bad = androidNdkVersion != null && !(builtins.isString androidNdkVersion);
        msg = "androidNdkVersion must be a version string from nixpkgs' androidenv (e.g. \"27.2.12479018\"), or null for androidenv's default";
      }
    ];
    # In order, stopping at the first failure, so later checks may assume earlier ones
    # (e.g. that targets is a list).
    firstBad = list:
      if list == []
      then null
      else if (builtins.head list).bad
      then builtins.head list
      else firstBad (builtins.tail list);
    failure = firstBad checks;
  in
    if failure != null
    then fail failure.msg
    else opts
