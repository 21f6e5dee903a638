# The target table: the same JSON file the nixcross wrapper embeds, read here so that
# nothing per-target is written twice.
let
  table = builtins.fromJSON (builtins.readFile ../../crates/nixcross/targets.json);
  schemaVersion = 1;
in
  if table.schema_version != schemaVersion
  then throw "nixcross: crates/nixcross/targets.json has schema_version ${toString table.schema_version}, this Nix code reads ${toString schemaVersion}"
  else table
