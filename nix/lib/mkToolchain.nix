# mkToolchain rustBin { targets; rustToolchain ? null; rustToolchainFile ? null; }
#   -> a rust-overlay toolchain with rust-std for every target in `targets`
#
# rustBin is rust-overlay's `rust-bin` (lib.mkRustBin { } pkgs). The base toolchain is
# stable latest `minimal` (rustc, cargo, rust-std), the user's rust-toolchain.toml, or
# what `rustToolchain rustBin` returns; the targets are added with `.override`, which
# every rust-overlay profile supports (lib/rust-bin.nix, mkProfile).
rustBin: {
  targets,
  rustToolchain ? null,
  rustToolchainFile ? null,
}: let
  base =
    if rustToolchainFile != null
    then rustBin.fromRustupToolchainFile rustToolchainFile
    else if rustToolchain != null
    then rustToolchain rustBin
    else rustBin.stable.latest.minimal;
in
  if base ? override
  then
    base.override (old: {
      targets = (old.targets or []) ++ targets;
    })
  else throw "nixcross: the toolchain from rustToolchain has no .override, so rust-std for ${builtins.concatStringsSep ", " targets} cannot be added; return a rust-overlay profile such as rust-bin.stable.latest.minimal"
