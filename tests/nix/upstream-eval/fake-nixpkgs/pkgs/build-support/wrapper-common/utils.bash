# Stand-in: rust-overlay interpolates this nixpkgs file (pkgs.path + "/pkgs/build-support/wrapper-common/utils.bash")
# into its rustc component; evaluation needs it to exist, nothing reads it.
