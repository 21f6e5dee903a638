# The flake's formatter: crates/nixfmt (alejandra's rules as a library), the same code
# tests/run.sh runs with --check, so `nix fmt` and CI cannot disagree. callPackage-able.
{
  lib,
  rustPlatform,
}:
rustPlatform.buildRustPackage {
  pname = "nixcross-nixfmt";
  version = "0.1.0";
  src = lib.fileset.toSource {
    root = ../..;
    fileset = lib.fileset.unions [
      ../../Cargo.toml
      ../../Cargo.lock
      ../../crates
    ];
  };
  cargoLock.lockFile = ../../Cargo.lock;
  cargoBuildFlags = [
    "-p"
    "nixcross-nixfmt"
  ];
  cargoTestFlags = [
    "-p"
    "nixcross-nixfmt"
  ];
  meta = {
    description = "Formats the nixcross repository's Nix files (alejandra's rules)";
    mainProgram = "nixcross-nixfmt";
    license = lib.licenses.mit;
  };
}
