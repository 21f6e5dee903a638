# mkJniLibs { pkgs; } { pname; packages; } -> derivation
#
# The Android targets' shared libraries laid out as an Android project loads them
# (jniLibs/<abi>/lib<name>.so, the layout cargo-ndk writes): point the app's
# `jniLibs.srcDirs` at $out/jniLibs. `packages` maps Android targets to their
# mkCrossPackage derivations; each must have installed at least one .so (a crate with
# crate-type = ["cdylib"]).
{pkgs}: {
  pname,
  packages,
}: let
  table = import ./targetTable.nix;
  copyOne = target: package: let
    abi = table.targets.${target}.android_abi;
  in ''
    mkdir -p "$out/jniLibs/${abi}"
    found=0
    for so in ${package}/lib/*.so; do
      if [ -f "$so" ]; then cp "$so" "$out/jniLibs/${abi}/"; found=1; fi
    done
    if [ "$found" = 0 ]; then
      echo "nixcross: ${target} installed no .so in ${package}/lib: an Android app loads a cdylib; add crate-type = [\"cdylib\"] to the crate's [lib]" >&2
      exit 1
    fi
  '';
in
  pkgs.runCommand "${pname}-jniLibs" {} (
    builtins.concatStringsSep "" (pkgs.lib.mapAttrsToList copyOne packages)
  )
