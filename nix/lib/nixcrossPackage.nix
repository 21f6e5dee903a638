# The nixcross wrapper as a package: bin/nixcross (the tools), bin/nixcross-wrap (the
# hot path) and the libexec/nixcross/nixcross-<target>-<role> links rustc and cc-rs
# call, which point at nixcross-wrap (it reads target and role from its own name).
# callPackage-able.
{
  lib,
  rustPlatform,
}: let
  root = ../..;
  crateToml = builtins.fromTOML (builtins.readFile ../../crates/nixcross/Cargo.toml);
in
  rustPlatform.buildRustPackage {
    pname = "nixcross";
    inherit (crateToml.package) version;
    src = lib.fileset.toSource {
      inherit root;
      fileset = lib.fileset.unions [
        ../../Cargo.toml
        ../../Cargo.lock
        ../../crates
      ];
    };
    cargoLock.lockFile = ../../Cargo.lock;
    cargoBuildFlags = [
      "-p"
      "nixcross"
    ];
    # Unit tests and the CLI tests; the zig integration tests are #[ignore]d without
    # NIXCROSS_ZIG and run in tests/run.sh.
    cargoTestFlags = [
      "-p"
      "nixcross"
    ];
    postInstall = ''
      $out/bin/nixcross links --dir $out/libexec/nixcross
    '';
    meta = {
      description = "Linker and C compiler wrapper that cross-compiles Rust with zig cc";
      mainProgram = "nixcross";
      license = with lib.licenses; [
        mit
        asl20
      ];
      platforms = lib.platforms.linux;
    };
  }
