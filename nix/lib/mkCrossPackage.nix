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
      # Where nixpkgs' zig keeps its lib directory (zig env's lib_dir; docs/sources-checked.md).
      zigLibDir =
        if entry.linker == "ndk-clang"
        then null
        else "${zig}/lib/zig";
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
  # What cannot come out for this target, said when nothing was installed.
  staticElf = entry.output.static && entry.output.format == "elf";
  noOutputHint =
    if staticElf
    then "; a cdylib cannot be built for ${target} (rustc drops it with a static C runtime): add \"staticlib\" to the crate-type of [lib] to ship a library for it"
    else "";
  # A static musl target cannot make a shared library: rustc drops a cdylib there with
  # only a warning. A crate whose libraries are cdylibs only fails instead of shipping
  # without its library; cargo metadata (offline, the crate's own manifests) says which.
  droppedCdylibCheck =
    if staticElf
    then ''
      if nixcross_meta=$(cargo metadata --offline --no-deps --format-version 1 2>/dev/null); then
        case "$nixcross_meta" in
          *'"cdylib"'*)
            nixcross_libs=0
            for nixcross_file in "$out"/lib/*.so "$out"/lib/*.a; do
              if [ -f "$nixcross_file" ]; then nixcross_libs=1; fi
            done
            if [ "$nixcross_libs" = 0 ]; then
              echo "nixcross: ${target} cannot build the cdylib this crate declares (a static musl C runtime has no shared libraries; rustc dropped it): add \"staticlib\" to the crate-type of [lib] to ship the library as an archive, or build the .so for another target" >&2
              exit 1
            fi
            ;;
        esac
      fi
    ''
    else "";
  # Programs in bin/, cdylib and staticlib files in lib/ (crane installs them there;
  # naersk with copyLibs): each is held to its platform's contract by nixcross check.
  checkOutputs = ''
    echo "nixcross: checking the ${target} outputs in $out/bin and $out/lib"
    outputs=()
    for nixcross_file in "$out"/bin/* "$out"/lib/*; do
      case "$nixcross_file" in
        *.rlib | *.rmeta | *.d) continue ;;
      esac
      if [ -f "$nixcross_file" ]; then outputs+=("$nixcross_file"); fi
    done
    if [ ''${#outputs[@]} -eq 0 ]; then
      echo "nixcross: no programs or libraries were installed in $out/bin or $out/lib for ${target}${noOutputHint}" >&2
      exit 1
    fi
    ${droppedCdylibCheck}
    # Build tools' store paths baked into outputs (OpenSSL's "compiler:" string names the
    # nixcross cc link) would make them runtime dependencies: their hashes become e's, as
    # remove-references-to does, with a Mach-O's ad-hoc signature renewed.
    nixcross scrub --store-path ${nixcross} --store-path ${zig} "''${outputs[@]}"
    ${plan.checkCommand} "''${outputs[@]}"
  '';
  common =
    {
      inherit (options) src;
      inherit (plan) preConfigure;
      nativeBuildInputs =
        [nixcross]
        ++ map (path: pkgs.lib.getAttrFromPath (pkgs.lib.splitString "." path) pkgs) plan.hostTools
        ++ (options.extraNativeBuildInputs or []);
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
      # cdylib and staticlib outputs into $out/lib, as crane does.
      copyLibs = true;
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
