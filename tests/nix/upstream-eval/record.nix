# The recorder behind every stand-in derivation: builtins only, so that the fake second
# nixpkgs (fake-nixpkgs/) can use it without a lib.
#
# make function rattrs -> a derivation-like attribute set that builds nothing. `rattrs`
# is `finalAttrs: attrs` (stdenv.mkDerivation's fixpoint); plain attribute sets are
# wrapped by the callers. The result keeps the final attributes in `drvAttrs` and in
# `standIn.args`, with `standIn.function` naming what made it.
let
  fix = f: let
    x = f x;
  in
    x;
  # overrideAttrs takes `prev: { }` or `finalAttrs: prev: { }`, as in nixpkgs.
  toExtension = f0: final: prev: let
    r = f0 prev;
  in
    if builtins.isFunction r
    then f0 final prev
    else r;
  # Hex is nix32 but for "e" (nix32 has no e, o, t, u); any 32 valid characters will do.
  fakeHash = key:
    builtins.replaceStrings ["e"] ["z"] (
      builtins.substring 0 32 (builtins.hashString "sha256" key)
    );
  # `key` decides the hash, `name` the readable part: equal keys, equal paths.
  storePathFor = key: name: "${builtins.storeDir}/${fakeHash key}-${name}";
  storePath = name: storePathFor name name;
  nameOf = attrs: attrs.name or "${attrs.pname}-${attrs.version}";
  make = function: rattrs: let
    attrs = fix rattrs;
    name = nameOf attrs;
    # A stand-in may choose its own hash key (the fake NDK does, to encode how nixpkgs
    # was imported); otherwise the function and name decide it.
    key = attrs.__standInKey or "${function}:${name}";
    outputs = attrs.outputs or ["out"];
    outputPath = output:
      storePathFor key (
        if output == "out"
        then name
        else "${name}-${output}"
      );
    self =
      attrs
      // (attrs.passthru or {})
      // builtins.listToAttrs (
        map (output: {
          name = output;
          value =
            self
            // {
              outPath = outputPath output;
              outputName = output;
            };
        })
        outputs
      )
      // {
        type = "derivation";
        inherit name outputs;
        outPath = outputPath "out";
        outputName = "out";
        drvPath = storePathFor key "${name}.drv";
        meta = attrs.meta or {};
        passthru = attrs.passthru or {};
        drvAttrs = attrs;
        standIn = {
          inherit function;
          args = attrs;
        };
        overrideAttrs = f0:
          make function (
            final: let
              prev = rattrs final;
            in
              prev // toExtension f0 final prev
          );
      };
  in
    self;
  # A plain attribute set or a `finalAttrs: attrs` function, as mkDerivation accepts.
  makeFrom = function: fnOrAttrs:
    make function (
      if builtins.isFunction fnOrAttrs
      then fnOrAttrs
      else _: fnOrAttrs
    );
in {
  inherit
    fakeHash
    storePath
    storePathFor
    make
    makeFrom
    ;
}
