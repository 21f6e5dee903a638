#!/usr/bin/env bash
# Builds a Rust sysroot holding std for every non-Android target, laid out the way
# rustup / rust-overlay ship it, so rustc hands our linker wrapper the same argv
# that users' toolchains produce.
#
#   build-sysroots.sh OUT_DIR NIXCROSS_BIN   (NIXCROSS_ZIG must name zig)
#
# OUT_DIR/full      all targets; musl and windows-gnu have lib/self-contained/
# OUT_DIR/bare      a copy whose musl targets have no self-contained/ dir, so rustc
#                   passes crt objects by bare name (crt1.o, crti.o, ...)
#
# Needs Debian's rustc-web, cargo-web and rust-web-src (1.96: rustc and the std
# source must match), and nixcross itself: compiling std for windows-gnu runs dlltool
# for std's raw-dylib imports, so std is built with nixcross as its dlltool. The self-contained files are the real
# ones from Debian packages (musl-dev, libgcc, LLVM libunwind, mingw-w64), fetched
# with `apt-get download` and unpacked, never installed.
set -euo pipefail

out=${1:?usage: build-sysroots.sh OUT_DIR NIXCROSS_BIN}
nixcross=${2:?usage: build-sysroots.sh OUT_DIR NIXCROSS_BIN}
rustc=${DEBIAN_RUSTC:-/usr/bin/rustc}
cargo=${DEBIAN_CARGO:-/usr/bin/cargo}
src=/usr/lib/rustlib/src/rust/library
targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-pc-windows-gnu
  aarch64-pc-windows-gnullvm x86_64-apple-darwin aarch64-apple-darwin)

[[ -x $rustc && -x $cargo && -d $src ]] || {
  echo "build-sysroots: need Debian's rustc-web, cargo-web and rust-web-src (apt-get install rustc-web cargo-web rust-web-src)" >&2
  exit 1
}
version=$("$rustc" -vV | sed -n 's/^commit-hash: //p')
stamp="$out/full/.built-$version-remapped-o1"
if [[ -e $stamp && -e "$out/bare/.built-$version-remapped-o1" ]]; then
  echo "build-sysroots: up to date for rustc $version in $out"
  exit 0
fi
rm -rf "$out/bare"
if [[ ! -e "$out/full/.std-$version-remapped-o1" ]]; then
rm -rf "$out/full" "$out/work"
mkdir -p "$out/full/lib/rustlib" "$out/work"
ln -s /usr/lib/rustlib/x86_64-unknown-linux-gnu "$out/full/lib/rustlib/x86_64-unknown-linux-gnu"

# An empty crate whose only purpose is to make cargo build std for a target.
crate="$out/work/std-builder"
mkdir -p "$crate/src"
printf '[package]\nname = "std-builder"\nversion = "0.0.0"\nedition = "2021"\n[workspace]\n' >"$crate/Cargo.toml"
: >"$crate/src/lib.rs"

links="$out/work/links"
# All targets in one cargo invocation: std's build scripts are built once, and both
# cores stay busy through each target's serial steps. Each target's dlltool (windows
# std builds raw-dylib import libraries) goes in its own rustflags variable.
target_args=()
target_env=()
for t in "${targets[@]}"; do
  "$nixcross" env --target "$t" --links-dir "$links" >/dev/null
  target_args+=(--target "$t")
  var="CARGO_TARGET_$(tr 'a-z-' 'A-Z_' <<<"$t")_RUSTFLAGS"
  # Paths as rustup's std has them (/rustc/<hash>/library, /rust/deps): the outputs
  # must not name this machine's cargo registry (nixcross check refuses them).
  target_env+=("$var=-Cdlltool=$links/nixcross-$t-dlltool --remap-path-prefix=${CARGO_HOME:-$HOME/.cargo}/registry/src=/rust/deps --remap-path-prefix=$src=/rustc/$version/library")
done
echo "build-sysroots: building std for ${targets[*]}" >&2
# opt-level 1 instead of rustup's 3: std for six targets is the longest single step of a
# fresh CI run (2 cores), and what the wrapper is tested on does not depend on it: rustc
# hands the linker the same arguments, and the fixtures' own code keeps its profile.
(cd "$crate" && env RUSTC_BOOTSTRAP=1 RUSTC="$rustc" CARGO_PROFILE_RELEASE_OPT_LEVEL=1 "${target_env[@]}" "$cargo" build -q --release \
  -Zbuild-std=std,panic_abort,panic_unwind "${target_args[@]}" --target-dir "$out/work/target")
for t in "${targets[@]}"; do
  lib="$out/full/lib/rustlib/$t/lib"
  mkdir -p "$lib"
  find "$out/work/target/$t/release/deps" -name '*.rlib' ! -name 'libstd_builder-*' -exec cp {} "$lib/" \;
done

# rsbegin.o / rsend.o: rustc passes them for windows-gnu on every link; rustup builds
# them from library/rtstartup, which cargo's build-std does not.
for f in rsbegin rsend; do
  RUSTC_BOOTSTRAP=1 "$rustc" --target x86_64-pc-windows-gnu --emit=obj -Cpanic=abort \
    -Copt-level=3 --crate-type=lib -o "$out/full/lib/rustlib/x86_64-pc-windows-gnu/lib/$f.o" \
    "$src/rtstartup/$f.rs"
done
touch "$out/full/.std-$version-remapped-o1"
fi

# self-contained directories, with the file names rustup's rust-std components carry.
debs="$out/work/debs"
mkdir -p "$debs"
(cd "$debs" && apt-get download -q musl-dev:amd64 musl-dev:arm64 libgcc-12-dev:amd64 \
  libgcc-12-dev:arm64 libunwind-14-dev:amd64 libunwind-14-dev:arm64 mingw-w64-x86-64-dev >/dev/null 2>&1) || {
  echo "build-sysroots: apt-get download failed; arm64 packages need 'dpkg --add-architecture arm64 && apt-get update'" >&2
  exit 1
}
for d in "$debs"/*.deb; do dpkg-deb -x "$d" "$debs/root-$(basename "$d" .deb | sed 's/.*_//')"; done
musl_sc() { # arch(debian) gnu-triple rust-target
  local sc="$out/full/lib/rustlib/$3/lib/self-contained" root="$debs/root-$1"
  mkdir -p "$sc"
  cp "$root/usr/lib/${3%%-*}-linux-musl"/{crt1.o,crti.o,crtn.o,rcrt1.o,Scrt1.o,libc.a} "$sc/"
  cp "$root"/usr/lib/gcc/"$2"/12/{crtbegin.o,crtbeginS.o,crtend.o,crtendS.o} "$sc/"
  cp "$root"/usr/lib/llvm-14/lib/libunwind.a "$sc/"
}
musl_sc amd64 x86_64-linux-gnu x86_64-unknown-linux-musl
musl_sc arm64 aarch64-linux-gnu aarch64-unknown-linux-musl
wsc="$out/full/lib/rustlib/x86_64-pc-windows-gnu/lib/self-contained"
mkdir -p "$wsc"
mingw="$debs/root-all/usr/x86_64-w64-mingw32/lib"
cp "$mingw"/{crt2.o,dllcrt2.o} "$wsc/"
for l in mingw32 mingwex msvcrt kernel32 user32 advapi32 ws2_32 userenv ntdll bcrypt pthread shell32 ole32 uuid; do
  cp "$mingw/lib$l.a" "$wsc/"
done

# The bare variant: the same sysroot, minus the musl self-contained dirs.
cp -al "$out/full" "$out/bare"
rm -rf "$out/bare/lib/rustlib/"*-linux-musl/lib/self-contained
touch "$stamp" "$out/bare/.built-$version-remapped-o1"
rm -rf "$out/work"
echo "build-sysroots: done: $out/full and $out/bare" >&2
