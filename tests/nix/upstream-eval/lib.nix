# lib.nix upstream -> the nixpkgs lib in upstream/nixpkgs-lib (NOT LOCKED: see README.md),
# as eval.nix and template-src.nix use it.
#
# The lib's filesystem.pathType is builtins.readFileType (Nix >= 2.14), which Nix 2.8
# lacks; lib.fileset (nixcrossPackage.nix's and the template's src) needs it. The same
# answer from readDir of the parent, only where the builtin is missing.
upstream: let
  upstreamLib = import (upstream + "/nixpkgs-lib/lib");
in
  if builtins ? readFileType
  then upstreamLib
  else
    upstreamLib.extend (
      _final: prev: {
        filesystem =
          prev.filesystem
          // {
            pathType = path:
              if dirOf path == path
              then "directory"
              else (builtins.readDir (dirOf path)).${baseNameOf path};
          };
      }
    )
