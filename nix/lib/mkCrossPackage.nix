# mkCrossPackage { pkgs; craneLib; naerskLib; nixcross; zig; toolchain; }
#   { target; options; shared; }
#   -> the derivation that builds `options.src` for `target`
#
# Maps targetPlan's data onto crane or naersk. `shared` holds what all targets reuse:
# pname, version and (for crane) the vendored dependencies.
{
  pkgs,
  craneLib,
  naerskLib,
  nixcross,
  zig,
  toolchain,
}: {
  target,
  options,
  shared,
}: let
  table = import ./targetTable.nix;
  entry = table.targets.${target};
  hostSystem = pkgs.stdenv.hostPlatform.system;
  planWith = runner: prewarmedCache:
    import ./targetPlan.nix {
      inherit
        target
        hostSystem
        options
        runner
        prewarmedCache
        ;
      toolchain = "${toolchain}";
      linksDir = "${nixcross}/libexec/nixcross";
      zig =
        if entry.linker == "ndk-clang"
        then null
        else "${zig}/bin/zig";
      ndk =
        if entry.linker == "ndk-clang"
        then
          import ./androidNdk.nix {
            inherit pkgs;
            ndkVersion = options.androidNdkVersion or null;
          }
        else null;
    };
  draft = planWith null null;
  runner = import ./emulatorFor.nix pkgs draft.emulatorFor;
  zigCache =
    if draft.prewarmZigCache
    then import ./mkZigCache.nix {inherit pkgs nixcross zig;} {inherit target toolchain;}
    else null;
  plan = planWith runner zigCache;
  pname = "${shared.pname}-${target}";
  inherit (shared) version;
  checkOutputs = ''
    echo "nixcross: checking the ${target} outputs in $out/bin"
    bins=()
    for nixcross_bin in "$out"/bin/*; do
      if [ -e "$nixcross_bin" ]; then bins+=("$nixcross_bin"); fi
    done
    if [ ''${#bins[@]} -eq 0 ]; then
      echo "nixcross: no binaries were installed in $out/bin for ${target}" >&2
      exit 1
    fi
    ${plan.checkCommand} "''${bins[@]}"
  '';
  common =
    {
      inherit (options) src;
      inherit (plan) preConfigure;
      nativeBuildInputs = [nixcross];
    }
    // plan.drvAttrs
    // plan.env;
  viaCrane = let
    craneCommon =
      common
      // {
        inherit pname version;
        inherit (plan) cargoExtraArgs;
        cargoVendorDir = shared.cargoVendorDir;
      };
    cargoArtifacts = craneLib.buildDepsOnly (craneCommon // (options.craneArgs or {}));
  in
    craneLib.buildPackage (
      craneCommon
      // {
        inherit cargoArtifacts;
        passthru = {
          inherit
            target
            plan
            cargoArtifacts
            zigCache
            ;
        };
      }
      // craneArgs
      // {
        # After the user's own postFixup: craneArgs may add to it, never drop the check.
        postFixup = (craneArgs.postFixup or "") + checkOutputs;
      }
    );
  craneArgs = options.craneArgs or {};
  naerskArgs = options.naerskArgs or {};
  userOverrideMain = naerskArgs.overrideMain or (_: {});
  viaNaersk = naerskLib.buildPackage (
    common
    // {
      name = pname;
      inherit version;
      # naersk's automatic overrides add the host's openssl for openssl-sys, which is
      # wrong for a foreign target (openssl must be vendored or come from the target).
      autoCrateSpecificOverrides = false;
      cargoBuildOptions = old: old ++ [plan.cargoExtraArgs];
      cargoTestOptions = old: old ++ [plan.cargoExtraArgs];
      passthru = {
        inherit target plan zigCache;
      };
    }
    // (removeAttrs naerskArgs ["overrideMain"])
    // {
      # naersk hands attributes it does not know to its dependency-only derivation too,
      # which installs no binaries: the output check goes into the main one only, after
      # any overrideMain of the user's.
      overrideMain = old: let
        user = userOverrideMain old;
      in
        user
        // {
          postFixup = (user.postFixup or old.postFixup or "") + checkOutputs;
        };
    }
  );
in
  if (options.builder or "crane") == "naersk"
  then viaNaersk
  else viaCrane
