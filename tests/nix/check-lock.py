#!/usr/bin/env python3
"""flake.lock must lock exactly the inputs flake.nix declares: same sources and refs,
the follows flake.nix asks for, flake = false where declared, and locked entries with a
full git revision, a NAR hash and a date. Usage: check-lock.py INPUTS_JSON FLAKE_LOCK"""
import json
import re
import sys

inputs = json.loads(sys.argv[1])
lock = json.load(open(sys.argv[2]))
problems = []
nodes = lock["nodes"]
root = nodes[lock["root"]]
if lock.get("version") != 7:
    problems.append(f"lock version {lock.get('version')}, Nix >= 2.18 writes 7")
if set(root["inputs"]) != set(inputs):
    problems.append(f"root inputs {sorted(root['inputs'])} != flake.nix inputs {sorted(inputs)}")
for name, spec in inputs.items():
    node = nodes.get(root["inputs"].get(name, ""), {})
    m = re.fullmatch(r"github:([^/]+)/([^/]+)(?:/(.+))?", spec.get("url", ""))
    if not m:
        problems.append(f"{name}: url {spec.get('url')!r} is not github:owner/repo[/ref]")
        continue
    owner, repo, ref = m.groups()
    want = {"type": "github", "owner": owner, "repo": repo, **({"ref": ref} if ref else {})}
    if node.get("original") != want:
        problems.append(f"{name}: original {node.get('original')} != {want}")
    locked = node.get("locked", {})
    if (locked.get("owner"), locked.get("repo"), locked.get("type")) != (owner, repo, "github"):
        problems.append(f"{name}: locked source {locked} is not {owner}/{repo}")
    if not re.fullmatch(r"[0-9a-f]{40}", locked.get("rev", "")):
        problems.append(f"{name}: locked rev {locked.get('rev')!r} is not a full git revision")
    if not re.fullmatch(r"sha256-[A-Za-z0-9+/]{43}=", locked.get("narHash", "")):
        problems.append(f"{name}: narHash {locked.get('narHash')!r} is not a sha256 SRI hash")
    if not isinstance(locked.get("lastModified"), int):
        problems.append(f"{name}: lastModified missing")
    if spec.get("flake", True) is False and node.get("flake") is not False:
        problems.append(f"{name}: flake.nix says flake = false, the lock does not")
    for sub, subspec in spec.get("inputs", {}).items():
        if "follows" in subspec:
            want_path = subspec["follows"].split("/")
            if node.get("inputs", {}).get(sub) != want_path:
                problems.append(f"{name}.{sub}: lock has {node.get('inputs', {}).get(sub)}, flake.nix follows {want_path}")
for p in problems:
    print(f"flake.lock: {p}")
sys.exit(1 if problems else 0)
