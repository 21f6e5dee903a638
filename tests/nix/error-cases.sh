# Sourced by tests/nix/run.sh: each bad mkCrossPackages option must fail evaluation with
# a message that names the fix.
v='import ./nix/lib/validateOptions.nix'
expect_error "unknown target lists the supported ones" "unknown target 'riscv64gc-unknown-linux-gnu'; supported targets: aarch64-apple-darwin" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"riscv64gc-unknown-linux-gnu\" ]; }"
expect_error "targets must be a list" "targets must be a non-empty list" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = \"x86_64-unknown-linux-musl\"; }"
expect_error "empty targets" "targets must be a non-empty list" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ ]; }"
expect_error "unknown builder" 'builder must be "crane" (the default) or "naersk"' \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; builder = \"cargo2nix\"; }"
expect_error "android without licence acceptance says what to set" "pass acceptAndroidSdkLicense = true" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"aarch64-linux-android\" ]; }"
expect_error "android on an aarch64-linux host" "prebuilt for x86_64-linux only; this host is aarch64-linux" \
  "$v { src = ./.; hostSystem = \"aarch64-linux\"; targets = [ \"x86_64-linux-android\" ]; acceptAndroidSdkLicense = true; }"
expect_error "android API level too low" "androidApi must be an integer >= 21" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-linux-android\" ]; acceptAndroidSdkLicense = true; androidApi = 19; }"
expect_error "darwinSdk of the wrong type" "darwinSdk must be a path" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"aarch64-apple-darwin\" ]; darwinSdk = 3; }"
expect_error "targetEnv of an unknown target" "unknown target 'wasm32-wasip2'" \
  "import ./nix/lib/targetEnv.nix { target = \"wasm32-wasip2\"; linksDir = \"/l\"; }"
expect_error "src is required" "src is required" \
  "$v { hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; }"
expect_error "a misspelt option is named, with the list of options" "unknown option targts for mkCrossPackages; it takes: src, targets" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; targts = [ ]; }"
expect_error "rustToolchain and rustToolchainFile together" "set either rustToolchain" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; rustToolchain = p: p; rustToolchainFile = ./x; }"
expect_error "rustToolchain that is not a function" "rustToolchain must be a function from rust-overlay's rust-bin" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; rustToolchain = \"1.98\"; }"
expect_error "features as a string" "features must be a list of cargo feature names" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; features = \"a,b\"; }"
expect_error "env with a non-string value" "env must be an attribute set of environment variables" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; env.X = [ 1 ]; }"
expect_error "mkToolchain with a toolchain that cannot take targets" "has no .override" \
  "import ./nix/lib/mkToolchain.nix { stable.latest.minimal = { }; } { targets = [ \"x86_64-pc-windows-gnu\" ]; }"
expect_error "prewarmZigCache must be a boolean" "prewarmZigCache must be true or false" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; prewarmZigCache = \"yes\"; }"
expect_error "releaseIncludes must be a list of files" "releaseIncludes must be a list of files" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; releaseIncludes = ./README.md; }"
expect_error "darwinSdk = \"nixpkgs\" without accepting Apple's licence names the licence and the switch" "read https://www.apple.com/legal/sla/docs/xcode.pdf and pass acceptAppleSdkLicense = true" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"aarch64-apple-darwin\" ]; darwinSdk = \"nixpkgs\"; }"
expect_error "appleSdkVersion must be a major version string" "appleSdkVersion must be the major version" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"aarch64-apple-darwin\" ]; darwinSdk = \"nixpkgs\"; acceptAppleSdkLicense = true; appleSdkVersion = 15; }"
expect_error "appleSdk with a version this nixpkgs lacks lists the ones it has" "appleSdkVersion must be one of: 14, 15" \
  "import ./nix/lib/appleSdk.nix { pkgs = { apple-sdk_14 = { src = \"/s14\"; }; apple-sdk_15 = { src = \"/s15\"; }; apple-sdk = { }; }; version = \"9\"; }"
expect_error "hostTools must be a boolean" "hostTools must be true (the default: cmake, nasm, perl, pkg-config and bindgen's libclang" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; hostTools = [ ]; }"
expect_error "extraNativeBuildInputs must be a list" "extraNativeBuildInputs must be a list of packages" \
  "$v { src = ./.; hostSystem = \"x86_64-linux\"; targets = [ \"x86_64-unknown-linux-musl\" ]; extraNativeBuildInputs = \"protobuf\"; }"
