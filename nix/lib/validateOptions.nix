# validateOptions { hostSystem; targets; builder; acceptAndroidSdkLicense; androidApi;
#                   darwinSdk; } -> the same options, checked
#
# Every mistake a user can make in mkCrossPackages' arguments fails evaluation here, with
# a message that says what to set. Pure (builtins only) so tests/nix can run it with no
# nixpkgs.
let
  table = import ./targetTable.nix;
  s = import ./strings.nix;
  known = builtins.attrNames table.targets;
  isAndroid = t: table.targets.${t}.os == "android";
  # androidenv's prebuilt NDK (toolchains/llvm/prebuilt/linux-x86_64) runs on x86_64-linux.
  androidHosts = [ "x86_64-linux" ];
  minAndroidApi = 21;
  fail = msg: throw "nixcross: ${msg}";
in
{
  hostSystem,
  targets,
  builder ? "crane",
  acceptAndroidSdkLicense ? false,
  androidApi ? null,
  darwinSdk ? null,
}@opts:
let
  unknown = builtins.filter (t: !(builtins.elem t known)) targets;
  android = builtins.filter isAndroid targets;
  checks = [
    {
      bad = !(builtins.isList targets) || targets == [ ];
      msg = "targets must be a non-empty list of target names, e.g. [ \"x86_64-unknown-linux-musl\" ]; supported: ${s.concatSep ", " known}";
    }
    {
      bad = unknown != [ ];
      msg = "unknown target${if builtins.length unknown > 1 then "s" else ""} ${s.concatSep ", " (map (t: "'${t}'") unknown)}; supported targets: ${s.concatSep ", " known}";
    }
    {
      bad = !(builtins.elem builder [ "crane" "naersk" ]);
      msg = "builder must be \"crane\" (the default) or \"naersk\", not ${builtins.toJSON builder}";
    }
    {
      bad = android != [ ] && acceptAndroidSdkLicense != true;
      msg = "${s.concatSep " and " android} need${if builtins.length android == 1 then "s" else ""} the Android NDK, which is unfree and licence-gated: read https://developer.android.com/studio/terms and pass acceptAndroidSdkLicense = true to mkCrossPackages (nixcross then sets android_sdk.accept_license and allows the unfree android-sdk packages for the NDK only)";
    }
    {
      bad = android != [ ] && !(builtins.elem hostSystem androidHosts);
      msg = "android targets need the NDK from nixpkgs' androidenv, which is prebuilt for x86_64-linux only; this host is ${hostSystem}: build android targets on an x86_64-linux machine or remote builder, or drop ${s.concatSep ", " android} from targets";
    }
    {
      bad = androidApi != null && (!(builtins.isInt androidApi) || androidApi < minAndroidApi);
      msg = "androidApi must be an integer >= ${toString minAndroidApi} (Rust's android targets need API ${toString minAndroidApi}+), not ${builtins.toJSON androidApi}";
    }
    {
      bad = darwinSdk != null && !(builtins.isPath darwinSdk || builtins.isString darwinSdk);
      msg = "darwinSdk must be a path to an unpacked macOS SDK (the directory holding System/Library/Frameworks and usr/lib), or null";
    }
  ];
  # In order, stopping at the first failure, so later checks may assume earlier ones
  # (e.g. that targets is a list).
  firstBad =
    list:
    if list == [ ] then
      null
    else if (builtins.head list).bad then
      builtins.head list
    else
      firstBad (builtins.tail list);
  failure = firstBad checks;
in
if failure != null then fail failure.msg else opts
