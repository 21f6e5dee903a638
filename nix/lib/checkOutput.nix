# checkOutput { pkgs; nixcross; } { target; package; expected ? null; } -> a check derivation
#
# Checks a built package the way users will receive it: `nixcross check` (format,
# architecture, static linkage for musl and windows, Mach-O dylibs and code signature),
# then, where nixpkgs has an emulator for the target on this host, runs every binary
# and compares its first line of output with `expected` (a native build's).
{
  pkgs,
  nixcross,
}: {
  target,
  package,
  expected ? null,
}: let
  plan = import ./targetPlan.nix {
    inherit target;
    hostSystem = pkgs.stdenv.hostPlatform.system;
    options = {};
    linksDir = "/unused";
  };
  # "" runs the binary directly (the host is the target's native system).
  runner =
    if (import ./targetTable.nix).targets.${target}.native_on or null == pkgs.stdenv.hostPlatform.system
    then ""
    else import ./emulatorFor.nix pkgs plan.emulatorFor;
in
  pkgs.runCommand "nixcross-check-${target}"
  {
    nativeBuildInputs = [nixcross];
  }
  (
    ''
      set -euo pipefail
      # A fresh wine prefix would try to install Mono and Gecko first.
      export HOME="$TMPDIR/home" WINEPREFIX="$TMPDIR/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
      mkdir -p "$HOME"
      ${plan.checkCommand} ${package}/bin/*
    ''
    + (
      if runner == null || expected == null
      then ''
        echo "nixcross: ${target} binaries are checked by format only: no way to run them on ${pkgs.stdenv.hostPlatform.system}"
      ''
      else ''
        for bin in ${package}/bin/*; do
          # Whole outputs first, then their first lines: `| head -n1` under pipefail
          # fails whenever a program writes after head has exited.
          got=$(${runner} "$bin")
          want=$(${expected}/bin/$(basename "$bin" ${plan.exeSuffix}))
          got=''${got%%$'\n'*}
          want=''${want%%$'\n'*}
          if [ "$got" != "$want" ]; then
            echo "nixcross: $bin printed '$got', the native build printed '$want'" >&2
            exit 1
          fi
          echo "nixcross: $bin ran and printed the native build's line: $got"
        done
      ''
    )
    + ''
      touch $out
    ''
  )
