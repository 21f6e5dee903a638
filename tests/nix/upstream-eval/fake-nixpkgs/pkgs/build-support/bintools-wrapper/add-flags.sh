# Stand-in: rust-overlay interpolates this nixpkgs file (pkgs.path + "/pkgs/build-support/bintools-wrapper/add-flags.sh")
# into its rustc component; evaluation needs it to exist, nothing reads it.
