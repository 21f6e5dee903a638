# The few string helpers the pure layer needs, from builtins only, so that its
# evaluation tests run without nixpkgs.
let
  lower = ["a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z"];
  upper = ["A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z"];
in rec {
  toUpper = builtins.replaceStrings lower upper;
  concatSep = sep: list: builtins.concatStringsSep sep list;
  # `x86_64_pc_windows_gnu`: how cc-rs spells CC_<target>.
  ccSuffix = target: builtins.replaceStrings ["-" "."] ["_" "_"] target;
  # `CARGO_TARGET_X86_64_PC_WINDOWS_GNU_`: how cargo spells per-target variables.
  cargoTargetPrefix = target: "CARGO_TARGET_${toUpper (ccSuffix target)}_";
  # One argument as a POSIX shell word (bindgen splits BINDGEN_EXTRA_CLANG_ARGS with shell
  # rules): as it is when it holds only safe characters, else single-quoted.
  shellWord = s:
    if s != "" && builtins.match "[A-Za-z0-9_=/.,+:@%-]+" s != null
    then s
    else "'${builtins.replaceStrings ["'"] ["'\\''"] s}'";
  optionalAttrs = cond: attrs:
    if cond
    then attrs
    else {};
}
