# Evaluation tests of the pure Nix layer (no nixpkgs needed). Evaluates to the list of
# failed assertions: [] means everything holds. Run by tests/nix/run.sh.
let
  table = import ../../nix/lib/targetTable.nix;
  validate = import ../../nix/lib/validateOptions.nix;
  targetEnv = import ../../nix/lib/targetEnv.nix;
  names = builtins.attrNames table.targets;
  check = name: cond: if cond then [ ] else [ name ];
  valid = validate {
    hostSystem = "x86_64-linux";
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
in
builtins.concatLists [
  (check "the table has the eight targets" (builtins.length names == 8))
  (check "valid options come back unchanged" (valid.targets == names && valid.builder or "crane" == "crane"))
  (check "non-android targets need no licence" (
    (validate {
      hostSystem = "aarch64-linux";
      targets = [ "aarch64-apple-darwin" ];
    }).targets == [ "aarch64-apple-darwin" ]
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
      t:
      let
        r = table.targets.${t}.runner;
      in
      r == null || (r ? nix_package && r ? nix_program)
    ) names
  ))
  (check "android targets use the NDK's clang" (
    builtins.all (t: table.targets.${t}.os != "android" || table.targets.${t}.linker == "ndk-clang") names
  ))
  (check "musl and windows outputs must be static" (
    builtins.all (
      t: table.targets.${t}.os == "macos" || table.targets.${t}.os == "android" || table.targets.${t}.output.static
    ) names
  ))
]
