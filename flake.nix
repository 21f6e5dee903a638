{
  description = "Push-button cross-compilation for Rust from Linux: zig (and the Android NDK) behind one target table";

  # Supported Nix: >= 2.31.2, because the pinned crane v0.23.4 supports no older Nix
  # (crane dropped it in v0.22.0, its changelog says); nixpkgs 26.05 alone would take
  # 2.18 (lib/minfeatures.nix, read at nixpkgs master). What was evaluated with which Nix
  # (Debian's 2.8, the real crane, naersk and rust-overlay over a stand-in pkgs; nothing
  # built) and what only a real Nix host verifies: docs/testing.md, "The Nix layer: what
  # was verified where".
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
    rust-overlay = {
      url = "github:oxalica/rust-overlay";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    # crane has no inputs of its own; v0.23.4 supports nixpkgs >= 25.11.
    crane.url = "github:ipetkov/crane/v0.23.4";
    # Used as plain source (pkgs.callPackage naersk { }), so it needs no inputs.
    naersk = {
      url = "github:nix-community/naersk";
      flake = false;
    };
  };

  outputs = {
    self,
    nixpkgs,
    rust-overlay,
    crane,
    naersk,
  }: let
    lib = nixpkgs.lib;
    # Build hosts. The NDK (android targets) exists for x86_64-linux only.
    systems = [
      "x86_64-linux"
      "aarch64-linux"
    ];
    table = import ./nix/lib/targetTable.nix;
    targetNames = builtins.attrNames table.targets;
    isAndroid = t: table.targets.${t}.os == "android";
    mkLib = pkgs:
      import ./nix/lib {
        inherit
          pkgs
          crane
          naersk
          rust-overlay
          ;
      };
    forSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    # This repository cannot accept the Android SDK licence for you. nixpkgs' own
    # switch for one invocation works here: NIXPKGS_ACCEPT_ANDROID_SDK_LICENSE=1 with
    # --impure (in pure evaluation getEnv returns "").
    androidAccepted = builtins.getEnv "NIXPKGS_ACCEPT_ANDROID_SDK_LICENSE" == "1";
    androidUsable = pkgs: androidAccepted && pkgs.stdenv.hostPlatform.system == "x86_64-linux";
    androidRefusal = pkgs: t:
      if pkgs.stdenv.hostPlatform.system != "x86_64-linux"
      then "nixcross: ${t} needs the Android NDK from nixpkgs' androidenv, which is prebuilt for x86_64-linux only; build it on an x86_64-linux machine or remote builder"
      else "nixcross: ${t} needs the Android NDK, which is unfree and licence-gated. Read https://developer.android.com/studio/terms; to accept it for one build run: NIXPKGS_ACCEPT_ANDROID_SDK_LICENSE=1 nix build --impure .#${t} (in your own flake: mkCrossPackages { acceptAndroidSdkLicense = true; ... })";
    # A derivation that fails with `message`, so that `nix flake check` can evaluate
    # every output while `nix build` of an unusable one says what to do.
    refusal = pkgs: name: message:
      pkgs.runCommand name {inherit message;} ''
        echo "$message" >&2
        exit 1
      '';
    example = ./templates/default;
    examplePackages = pkgs: let
      nc = mkLib pkgs;
      buildable = builtins.filter (t: !(isAndroid t) || androidUsable pkgs) targetNames;
      built = nc.mkCrossPackages {
        src = example;
        targets = buildable;
        acceptAndroidSdkLicense = androidUsable pkgs;
      };
    in
      lib.genAttrs targetNames (
        t: built.${t} or (refusal pkgs "hello-cross-${t}-unavailable" (androidRefusal pkgs t))
      )
      // {
        # The macOS builds merged, and every buildable target packed for release
        # (android only when its licence was accepted, see above).
        inherit (built) universal2-apple-darwin release;
      };
  in {
    # lib.mkLib pkgs -> { mkCrossPackages; mkDevShell; checkOutput; nixcross; ... }
    # for any pkgs (e.g. your flake's, with its own overlays); lib.<system> is the
    # same for this flake's nixpkgs.
    lib =
      {
        inherit mkLib;
        targets = targetNames;
      }
      // forSystems mkLib;

    packages = forSystems (
      pkgs: let
        nc = mkLib pkgs;
        examples = examplePackages pkgs;
      in
        examples
        // {
          inherit (nc) nixcross;
          default = examples.x86_64-unknown-linux-musl;
        }
    );

    checks = forSystems (
      pkgs: let
        nc = mkLib pkgs;
        examples = self.packages.${pkgs.stdenv.hostPlatform.system};
        # The example built natively by plain crane: what every runnable target's
        # binary must print too.
        native = (crane.mkLib pkgs).buildPackage {src = example;};
        checkable = builtins.filter (t: !(isAndroid t) || androidUsable pkgs) targetNames;
      in
        lib.genAttrs checkable (
          t:
            nc.checkOutput {
              target = t;
              package = examples.${t};
              expected = native;
            }
        )
        // {
          # Building these runs nixcross's checks on every slice and every archived binary.
          inherit (examples) universal2-apple-darwin release;
          nixcross = nc.nixcross;
          # The pure Nix layer's evaluation tests (tests/nix/eval-tests.nix): a list of
          # failed assertions, which must be empty.
          nix-eval = let
            failures = import ./tests/nix/eval-tests.nix;
          in
            if failures == []
            then pkgs.runCommand "nixcross-nix-eval-tests" {} "touch $out"
            else throw "nixcross: Nix evaluation tests failed: ${builtins.toJSON failures}";
        }
    );

    devShells = forSystems (
      pkgs: let
        nc = mkLib pkgs;
        shellFor = t:
          if isAndroid t && !(androidUsable pkgs)
          then
            pkgs.mkShell {
              shellHook = ''
                echo ${lib.escapeShellArg (androidRefusal pkgs t)} >&2
                exit 1
              '';
            }
          else
            nc.mkDevShell {
              target = t;
              acceptAndroidSdkLicense = isAndroid t;
            };
      in
        lib.genAttrs targetNames shellFor
        // {
          # For working on nixcross itself: the toolchain with every zig target's
          # rust-std and the wrapper, NIXCROSS_ZIG set, zig not in packages
          # (nix/lib/mkNixcrossDevShell.nix).
          default = nc.mkNixcrossDevShell {};
        }
    );

    templates.default = {
      path = ./templates/default;
      description = "A Rust crate with a C dependency, cross-compiled for 8 targets by nixcross";
      welcomeText = ''
        Set `inputs.nixcross.url` in flake.nix to the flake you ran `nix flake init -t` with,
        then: nix build .#x86_64-pc-windows-gnu   (or any target in `nix flake show`)
        or:   nix build .#release                 (every target packed, with SHA256SUMS)
      '';
    };

    # nix fmt: the same formatter tests/run.sh checks with (crates/nixfmt).
    formatter = forSystems (pkgs: pkgs.callPackage ./nix/lib/nixfmtPackage.nix {});
  };
}
