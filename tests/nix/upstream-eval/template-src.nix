# The `src` templates/default/flake.nix hands to mkCrossPackages, computed by its own
# outputs function with the real nixpkgs lib and a nixcross whose mkCrossPackages returns
# its arguments. run.sh evaluates it for copies of the template that differ in README.md,
# flake.nix or src/main.rs: the first two must give the same store path (nothing
# rebuilds), the last a different one.
#
# template: a copy of templates/default. Returns { path; files; }: the store path of src
# and the files in it, relative to it.
{
  upstream,
  template,
}: let
  lib = import ./lib.nix upstream;
  nixcrossLib = {mkCrossPackages = args: args;};
  outputs = (import (template + "/flake.nix")).outputs {
    self = outputs;
    nixcross.lib = {
      x86_64-linux = nixcrossLib;
      aarch64-linux = nixcrossLib;
    };
    nixpkgs = {inherit lib;};
  };
  src = outputs.packages.x86_64-linux.src;
  path = "${src}";
  filesIn = dir: prefix:
    lib.concatLists (
      lib.mapAttrsToList (
        name: type:
          if type == "directory"
          then filesIn "${dir}/${name}" "${prefix}${name}/"
          else ["${prefix}${name}"]
      ) (builtins.readDir dir)
    );
in {
  inherit path;
  files = filesIn path "";
}
