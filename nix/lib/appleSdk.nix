# appleSdk { pkgs; version ? "15"; } -> the unpacked macOS SDK from nixpkgs' apple-sdk
#
# nixpkgs' apple-sdk_<version> is a darwin-only package, but its `src` is a fixed-output
# fetchurl of Apple's Command Line Tools SDK package unpacked with pbzx and cpio
# (pkgs/by-name/ap/apple-sdk/common/fetch-sdk.nix), which builds on Linux: the raw SDK
# with System/Library/Frameworks and usr/lib. It is Apple's software under Apple's
# licence: mkCrossPackages only calls this for darwinSdk = "nixpkgs" after the user
# passed acceptAppleSdkLicense = true (validateOptions.nix).
{
  pkgs,
  version ? "15",
}: let
  attr = "apple-sdk_${version}";
  known = builtins.filter (n: builtins.match "apple-sdk_[0-9]+" n != null) (builtins.attrNames pkgs);
in
  if !(pkgs ? ${attr})
  then throw "nixcross: this nixpkgs has no ${attr} for darwinSdk = \"nixpkgs\"; appleSdkVersion must be one of: ${builtins.concatStringsSep ", " (map (n: builtins.substring 10 (-1) n) known)}"
  else "${pkgs.${attr}.src}"
