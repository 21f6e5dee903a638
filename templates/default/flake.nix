{
  description = "hello-cross: a Rust crate with a C dependency, cross-compiled by nixcross";

  inputs = {
    # The flake you ran `nix flake init -t` with. Its nixpkgs, crane, naersk and
    # rust-overlay pins come along; add `inputs.nixpkgs.follows` to share yours.
    nixcross.url = "github:OWNER/nixcross";
    nixpkgs.follows = "nixcross/nixpkgs";
  };

  outputs = {
    nixcross,
    nixpkgs,
    ...
  }: let
    systems = [
      "x86_64-linux"
      "aarch64-linux"
    ];
    forSystems = f: nixpkgs.lib.genAttrs systems (system: f nixcross.lib.${system});
    targets = [
      "x86_64-unknown-linux-musl"
      "aarch64-unknown-linux-musl"
      "x86_64-pc-windows-gnu"
      "aarch64-pc-windows-gnullvm"
      "x86_64-apple-darwin"
      "aarch64-apple-darwin"
      # Android needs the NDK (unfree, x86_64-linux hosts only): add
      # "x86_64-linux-android" "aarch64-linux-android" and
      # acceptAndroidSdkLicense = true below once you accept its licence.
    ];
  in {
    packages = forSystems (
      nc:
        nc.mkCrossPackages {
          # Only what cargo reads, so that editing README.md or flake.nix rebuilds nothing.
          # Add files here that build scripts need (C sources, .proto files, ...).
          src = nixpkgs.lib.fileset.toSource {
            root = ./.;
            fileset = nixpkgs.lib.fileset.unions [
              ./Cargo.toml
              ./Cargo.lock
              ./src
            ];
          };
          inherit targets;
          # builder = "naersk";                  # crane is the default
          # rustToolchainFile = ./rust-toolchain.toml;
          # features = [ "..." ];
          # darwinSdk = /path/to/MacOSX.sdk;     # only for frameworks nixcross has no stub for
          #                                      # (or "nixpkgs" with acceptAppleSdkLicense = true)
          # releaseIncludes = [ ./README.md ];   # added to every archive of .#release
        }
      # Besides one package per target: .#universal2-apple-darwin (both macOS builds
      # in one binary) and .#release (every target packed, SHA256SUMS, manifest.json).
    );
    devShells = forSystems (nc: nixpkgs.lib.genAttrs targets (target: nc.mkDevShell {inherit target;}));
  };
}
