# emulatorFor pkgs config -> the program nixpkgs would use to run binaries of the
# platform `config` on pkgs' host (lib/systems selectEmulator: qemu-user's
# qemu-<arch> for Linux, wine for Windows), or null. `config` comes from
# targetPlan's emulatorFor and may itself be null.
pkgs: config:
if config == null
then null
else let
  platform = pkgs.lib.systems.elaborate {inherit config;};
in
  if platform.emulatorAvailable pkgs
  then platform.emulator pkgs
  else null
