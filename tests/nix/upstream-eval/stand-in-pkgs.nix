# A stand-in for nixpkgs' `pkgs` on x86_64-linux, built on the real nixpkgs lib: enough
# of it for crane's mkLib, naersk's default.nix, rust-overlay's mkRustBin and nixcross's
# nix/lib to evaluate. Nothing is built: every function that would make a derivation
# records its arguments (record.nix) and returns a derivation-like set whose string is a
# fake store path.
#
# `config` and `overlays` play a user's pkgs that has its own settings, so that the
# harness can see whether any of them reach the second nixpkgs androidNdk.nix imports.
{
  lib,
  config ? {},
  overlays ? [],
}: let
  record = import ./record.nix;
  platform = lib.systems.elaborate "x86_64-linux";

  # A plain package: only its name and fake path matter.
  package = name: extra:
    record.make "package" (
      _:
        {
          inherit name;
          pname = name;
          version = "stand-in";
          meta.mainProgram = name;
        }
        // extra
    );

  mkStdenv = stdenvName: cc: {
    name = stdenvName;
    hostPlatform = platform;
    buildPlatform = platform;
    targetPlatform = platform;
    inherit (platform) system isLinux isDarwin;
    inherit cc;
    shell = "/bin/sh";
    mkDerivation = record.makeFrom "${stdenvName}.mkDerivation";
  };

  # Enough of a cc-wrapper for rust-overlay's rustc component (its env reads
  # cc.bintools) and crane's cross environment (targetPrefix).
  cc = package "gcc-wrapper" {
    passthru = {
      targetPrefix = "";
      isGNU = true;
      isClang = false;
      bintools = package "binutils-wrapper" {
        passthru = {
          expandResponseParams = "expand-response-params";
          shell = "/bin/sh";
          suffixSalt = "x86_64_unknown_linux_gnu";
          wrapperName = "BINTOOLS_WRAPPER";
          coreutils_bin = "coreutils";
        };
      };
    };
  };

  runCommandRecorder = function: extraAttrs: name: env: buildCommand:
    record.make function (
      _:
        {
          inherit name buildCommand;
        }
        // extraAttrs
        // env
    );

  self = {
    inherit lib config overlays;
    # nixpkgs' package set refers to itself as `pkgs` (crane and naersk take it).
    pkgs = self;
    # androidNdk.nix imports `pkgs.path` a second time; the fake answers for androidenv.
    path = ./fake-nixpkgs;
    system = platform.system;
    hostPlatform = platform;
    buildPlatform = platform;
    targetPlatform = platform;

    stdenv = mkStdenv "stdenv" cc;
    stdenvNoCC = mkStdenv "stdenvNoCC" null;

    callPackage = lib.callPackageWith self;
    newScope = extra: lib.callPackageWith (self // extra);

    # No cross-compilation inside nixpkgs here (build = host = target = x86_64-linux), so
    # every splice is this one package set, as nixpkgs' splicePackages returns
    # pkgsHostTarget when nothing needs splicing.
    pkgsBuildBuild = self;
    # No separate static package set: the stand-in records what is built, not how.
    pkgsStatic = self;
    pkgsBuildHost = self;
    pkgsBuildTarget = self;
    pkgsHostHost = self;
    pkgsHostTarget = self;
    pkgsTargetTarget = self;
    buildPackages = self;
    splicePackages = splices: splices.pkgsHostTarget;
    # crane's scope: without splicing this is lib.makeScope over this package set.
    makeScopeWithSplicing' = {f, ...}: lib.makeScope self.newScope f;

    runCommand = runCommandRecorder "runCommand" {};
    runCommandLocal = runCommandRecorder "runCommandLocal" {
      preferLocalBuild = true;
      allowSubstitutes = false;
    };
    runCommandCC = runCommandRecorder "runCommandCC" {};
    writeText = name: text:
      record.make "writeText" (_: {
        inherit name text;
      });
    writeShellScript = name: text:
      record.make "writeShellScript" (_: {
        inherit name text;
      });
    writeShellScriptBin = name: text:
      record.make "writeShellScriptBin" (_: {
        inherit name text;
        meta.mainProgram = name;
      });
    makeSetupHook = args: script:
      record.make "makeSetupHook" (
        _:
          {
            name = args.name or "hook";
            inherit script;
          }
          // args
      );
    symlinkJoin = args: record.make "symlinkJoin" (_: args);
    fetchurl = args:
      record.make "fetchurl" (
        _:
          {
            name = args.name or (baseNameOf args.url);
          }
          // args
      );
    mkShell = args:
      record.make "mkShell" (
        _:
          {
            name = args.name or "nix-shell";
          }
          // args
      );
    formats.toml = _: {
      generate = name: value:
        record.make "formats.toml.generate" (_: {
          inherit name value;
        });
    };
    rustPlatform.buildRustPackage = record.makeFrom "rustPlatform.buildRustPackage";
    rustPlatform.bindgenHook = package "rust-bindgen-hook" {};

    # Plain packages the upstream code and nixcross refer to.
    jq = package "jq" {};
    remarshal = package "remarshal" {};
    zstd = package "zstd" {};
    rsync = package "rsync" {};
    lndir = package "lndir" {};
    zig = package "zig" {};
    qemu-user = package "qemu-user" {};
    gnutar = package "gnutar" {};
    bintools = package "bintools" {};
    zlib = package "zlib" {};
    gccForLibs = package "gcc-for-libs" {
      outputs = [
        "out"
        "lib"
        "libgcc"
      ];
    };
    bash = package "bash" {};
    curl = package "curl" {};
    # naersk's crate_specific.nix, should a crate use openssl-sys.
    pkg-config = package "pkg-config" {};
    # targets.json's host_tools (build scripts' tools in every build).
    cmake = package "cmake" {};
    nasm = package "nasm" {};
    perl = package "perl" {};
    openssl = package "openssl" {};
    # rust-overlay's mk-aggregated forwards rustc's target lists when present.
    rustc = package "rustc" {};
    cargo = package "cargo" {};
    clippy = package "clippy" {};
    # The "default" profile's cargo is wrapped with libsecret on its library path
    # (mkNixcrossDevShell's toolchain).
    libsecret = package "libsecret" {};
    makeWrapper = package "make-wrapper-hook" {};
    autoPatchelfHook = package "auto-patchelf-hook" {};
    writableTmpDirAsHomeHook = package "writable-tmp-dir-as-home-hook" {};
    # lib.systems' selectEmulator for Windows: (winePackagesFor "wine64").minimal.
    winePackagesFor = wineName: {
      minimal = package "${wineName}-minimal" {};
    };
  };
in
  self
