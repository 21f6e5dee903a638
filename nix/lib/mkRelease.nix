# mkRelease { pkgs; nixcross; } { pname; version; packages; includes ? [ ]; }
#   -> one directory: <pname>-<version>-<target>.{tar.gz,zip}, SHA256SUMS, manifest.json
#
# `packages` maps target names (including universal2-apple-darwin) to derivations with
# the binaries in bin/. `nixcross bundle` checks every binary, packs deterministically
# (stdenv's SOURCE_DATE_EPOCH stamps every entry) and writes the sums and manifest.
{
  pkgs,
  nixcross,
}: {
  pname,
  version,
  packages,
  includes ? [],
}: let
  lib = pkgs.lib;
  inputs = lib.mapAttrsToList (target: drv: "${target}=${drv}/bin") packages;
in
  pkgs.runCommand "${pname}-${version}-release"
  {
    nativeBuildInputs = [nixcross];
    passthru.targets = builtins.attrNames packages;
  }
  ''
    nixcross bundle --name ${lib.escapeShellArg pname} --version ${lib.escapeShellArg version} \
      --out "$out" \
      ${lib.concatMapStringsSep " " (f: "--include ${lib.escapeShellArg "${f}"}") includes} \
      ${lib.escapeShellArgs inputs}
  ''
