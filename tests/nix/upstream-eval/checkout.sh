#!/usr/bin/env bash
# checkout.sh DIR: the upstream sources run.sh reads (NIXCROSS_UPSTREAM_SRC=DIR), from
# local bare git mirrors: crane, naersk and rust-overlay at the revisions flake.lock
# locks, nixpkgs' lib from the nix-community/nixpkgs.lib mirror's HEAD (nixpkgs itself is
# not mirrored; its lib/ is all the stand-in pkgs needs).
#
# git archive is what GitHub's tarballs are made of, so each directory hashes to the
# lock's narHash (run.sh checks). NIXCROSS_MIRRORS overrides where the mirrors are.
set -euo pipefail
dir=${1:?usage: checkout.sh DIR}
mirrors=${NIXCROSS_MIRRORS:-/work/.mirror}
root=$(cd "$(dirname "$0")/../../.." && pwd)

locked_rev() {
  python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["nodes"][sys.argv[2]]["locked"]["rev"])' \
    "$root/flake.lock" "$1"
}

# name, mirror (owner+repo), revision
unpack() {
  local git_dir="$mirrors/$2/repo"
  [[ -d $git_dir ]] || { echo "checkout.sh: no mirror at $git_dir" >&2; exit 1; }
  rm -rf "${dir:?}/$1"
  mkdir -p "$dir/$1"
  git --git-dir="$git_dir" archive --format=tar "$3" | tar -x -C "$dir/$1"
  echo "$1 $(git --git-dir="$git_dir" rev-parse "$3^{commit}")" >>"$dir/REVISIONS"
}

mkdir -p "$dir"
: >"$dir/REVISIONS"
unpack crane ipetkov+crane "$(locked_rev crane)"
unpack naersk nix-community+naersk "$(locked_rev naersk)"
unpack rust-overlay oxalica+rust-overlay "$(locked_rev rust-overlay)"
unpack nixpkgs-lib nix-community+nixpkgs.lib HEAD
echo "checkout.sh: upstream sources in $dir:"
sed 's/^/  /' "$dir/REVISIONS"
