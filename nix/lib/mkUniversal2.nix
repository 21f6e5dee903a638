# mkUniversal2 { pkgs; nixcross; } { pname; version; x86_64; aarch64; }
#   -> universal macOS binaries in $out/bin
#
# `x86_64` and `aarch64` are the x86_64-apple-darwin and aarch64-apple-darwin builds.
# `nixcross universal2` pairs their bin/ files by name, checks each input against its
# own target, and writes fat Mach-O files whose slices are the inputs byte for byte (so
# the arm64 slice keeps its code signature), then checks every output slice.
{
  pkgs,
  nixcross,
}: {
  pname,
  version,
  x86_64,
  aarch64,
}:
pkgs.runCommand "${pname}-universal2-apple-darwin-${version}"
{
  nativeBuildInputs = [nixcross];
  passthru.target = "universal2-apple-darwin";
}
''
  nixcross universal2 --out "$out/bin" \
    x86_64-apple-darwin=${x86_64}/bin \
    aarch64-apple-darwin=${aarch64}/bin
''
