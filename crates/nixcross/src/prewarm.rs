//! zig's libc built once per target. The first link for a zig target makes zig compile
//! musl / mingw-w64 / compiler-rt / libunwind into its cache (tens of seconds to minutes).
//! `nixcross prewarm` does that once into a directory (a Nix derivation, or a directory a
//! CI system keeps); a build that sets NIXCROSS_PREWARMED_CACHE to it gets a copy in its
//! own writable cache on its first link instead of compiling libc again.
//!
//! The prewarm link is a real `cargo build` of a std-only program with the caller's
//! toolchain and nixcross's own environment, so zig sees the same options (and computes
//! the same cache keys) as the user's links.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::envcmd;
use crate::error::{io, Error};
use crate::table::{LinkerKind, Table};

/// The file whose presence says "zig's libc for `key` is in this cache" (written by the
/// wrapper after the first successful link; see wrap.rs).
pub fn marker(cache: &Path, key: &str) -> PathBuf {
    cache.join("nixcross").join(format!("warm-{key}"))
}

/// Entries of a cache that belong to one build and are never copied: our links, response
/// files, lock files, the writable probe.
fn private(rel: &Path) -> bool {
    let s = rel.to_string_lossy();
    s == ".nixcross-writable"
        || s == "nixcross/bin"
        || s == "nixcross/tmp"
        || s.starts_with("nixcross/lock-")
}

/// Copies `from` into `to`, making everything writable (a Nix store copy is read-only and
/// zig rewrites its manifests). Files already in `to` are kept; each file is written
/// under a temporary name and renamed, so a concurrent reader never sees half a file.
fn copy_tree(from: &Path, to: &Path, rel: &Path) -> Result<u64, Error> {
    let src = from.join(rel);
    let dst = to.join(rel);
    fs::create_dir_all(&dst).map_err(io(format!("creating {}", dst.display())))?;
    let _ = fs::set_permissions(&dst, fs::Permissions::from_mode(0o755));
    let mut bytes = 0;
    for entry in fs::read_dir(&src).map_err(io(format!("reading {}", src.display())))? {
        let entry = entry.map_err(io(format!("reading {}", src.display())))?;
        let rel = rel.join(entry.file_name());
        if private(&rel) {
            continue;
        }
        let kind = entry
            .file_type()
            .map_err(io(format!("reading {}", entry.path().display())))?;
        let target = to.join(&rel);
        if kind.is_dir() {
            bytes += copy_tree(from, to, &rel)?;
        } else if kind.is_file() && !target.exists() {
            let tmp = target.with_extension(format!("nixcross-copy-{}", std::process::id()));
            let n = fs::copy(entry.path(), &tmp)
                .map_err(io(format!("copying {}", entry.path().display())))?;
            let mode = if entry
                .metadata()
                .map(|m| m.mode() & 0o111 != 0)
                .unwrap_or(false)
            {
                0o755
            } else {
                0o644
            };
            fs::set_permissions(&tmp, fs::Permissions::from_mode(mode))
                .map_err(io(format!("setting permissions of {}", tmp.display())))?;
            // Keep the time stamp (as cp -p): a copied artifact is then told apart from
            // one zig rebuilt, and zig's cache manifests see the time they recorded.
            if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                let _ = fs::File::options()
                    .write(true)
                    .open(&tmp)
                    .and_then(|f| f.set_modified(modified));
            }
            fs::rename(&tmp, &target).map_err(io(format!("writing {}", target.display())))?;
            bytes += n;
        }
    }
    Ok(bytes)
}

use std::os::unix::fs::MetadataExt;

/// Fills `cache` from the prewarmed `seed` if the seed holds zig's libc for `key`.
/// Returns false (after a warning) when it does not, so zig builds it as usual.
pub fn seed(seed: &Path, cache: &Path, key: &str) -> Result<bool, Error> {
    if !seed.is_dir() {
        return Err(Error::Usage(format!(
            "NIXCROSS_PREWARMED_CACHE={} is not a directory; make it with 'nixcross prewarm --target <target> --out {}' or unset it",
            seed.display(),
            seed.display()
        )));
    }
    if !marker(seed, key).exists() {
        eprintln!(
            "nixcross: warning: NIXCROSS_PREWARMED_CACHE={} has no libc for {key} (prewarm that target into it); zig builds it now",
            seed.display()
        );
        return Ok(false);
    }
    let bytes = copy_tree(seed, cache, Path::new(""))?;
    eprintln!(
        "nixcross: first link for {key}: copied zig's prebuilt libc ({} MB) from {}",
        bytes / 1_000_000,
        seed.display()
    );
    Ok(true)
}

const PREWARM_MAIN: &str = "fn main() {\n    println!(\"nixcross prewarm\");\n}\n";

/// `nixcross prewarm --target T --out DIR`: a std-only program built with cargo for
/// each profile, linked through nixcross with DIR as zig's cache.
pub fn prewarm(
    table: &Table,
    target: &str,
    out: &Path,
    profiles: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Error> {
    let t = table.target(target)?;
    let Some(key) = t
        .zig_target
        .as_deref()
        .filter(|_| t.linker != LinkerKind::NdkClang)
    else {
        return Err(Error::Usage(format!(
            "{target} links with the Android NDK's prebuilt libc: there is nothing to prewarm"
        )));
    };
    fs::create_dir_all(out).map_err(io(format!("creating {}", out.display())))?;
    let out = fs::canonicalize(out).map_err(io(format!("resolving {}", out.display())))?;
    let out_str = out.to_string_lossy().into_owned();
    // Everything below sees the prewarm directory as its cache and no other seed.
    let scoped = |k: &str| match k {
        "NIXCROSS_CACHE_DIR" => Some(out_str.clone()),
        "NIXCROSS_PREWARMED_CACHE" => None,
        _ => env(k),
    };
    let (vars, warnings) = envcmd::resolve(table, target, None, &scoped)?;
    for w in warnings.iter().filter(|w| !w.contains("no runner")) {
        eprintln!("nixcross: warning: {w}");
    }
    let work =
        std::env::temp_dir().join(format!("nixcross-prewarm-{}-{target}", std::process::id()));
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(work.join("src")).map_err(io(format!("creating {}", work.display())))?;
    fs::write(
        work.join("Cargo.toml"),
        "[package]\nname = \"nixcross-prewarm\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .map_err(io(format!("writing {}", work.display())))?;
    fs::write(work.join("src/main.rs"), PREWARM_MAIN)
        .map_err(io(format!("writing {}", work.display())))?;
    let cargo = env("CARGO")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "cargo".into());
    for profile in profiles {
        eprintln!("nixcross: prewarm: building a std-only program for {target} ({profile} profile) with zig's cache in {}", out.display());
        let mut cmd = Command::new(&cargo);
        cmd.args([
            "build",
            "--offline",
            "--target",
            target,
            "--profile",
            profile,
        ])
        .current_dir(&work)
        .env("CARGO_TARGET_DIR", work.join("target"))
        .env("NIXCROSS_CACHE_DIR", &out)
        .env_remove("NIXCROSS_PREWARMED_CACHE")
        .envs(vars.iter().map(|(k, v)| (k, v)));
        let status = cmd.status().map_err(|source| Error::Spawn {
            program: PathBuf::from(&cargo),
            source,
        })?;
        if !status.success() {
            return Err(Error::Check(format!(
                "prewarming {target} failed: cargo build ({profile}) exited with {status} (its output is above); the same build of your crate would fail too: is std for {target} installed (rustup target add {target})?"
            )));
        }
    }
    let _ = fs::remove_dir_all(&work);
    if !marker(&out, key).exists() {
        return Err(Error::Check(format!(
            "cargo built the program but did not link it through nixcross (no {}): something overrides the linker, e.g. RUSTFLAGS or .cargo/config.toml",
            marker(&out, key).display()
        )));
    }
    for rel in ["nixcross/bin", "nixcross/tmp"] {
        let _ = fs::remove_dir_all(out.join(rel));
    }
    for entry in fs::read_dir(out.join("nixcross"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if entry.file_name().to_string_lossy().starts_with("lock-") {
            let _ = fs::remove_file(entry.path());
        }
    }
    let _ = fs::remove_file(out.join(".nixcross-writable"));
    eprintln!("nixcross: prewarm: zig's libc for {target} is in {}; use it with NIXCROSS_PREWARMED_CACHE={}", out.display(), out.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(root: &Path, files: &[(&str, &str)]) {
        for (rel, text) in files {
            let p = root.join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
    }

    /// A seed from the Nix store is read-only; zig must be able to rewrite the copy's
    /// manifests, and one build's locks, links and temp files must not travel.
    #[test]
    fn seeding_copies_the_cache_writable_without_private_files() {
        let d = tempfile::tempdir().unwrap();
        let (seed_dir, cache) = (d.path().join("seed"), d.path().join("cache"));
        tree(
            &seed_dir,
            &[
                ("o/abc/libc.a", "archive"),
                ("h/abc.txt", "manifest"),
                ("nixcross/warm-x86_64-linux-musl", ""),
                ("nixcross/lock-x86_64-linux-musl", ""),
                ("nixcross/tmp/args.rsp", "x"),
                (".nixcross-writable", ""),
            ],
        );
        fs::set_permissions(
            seed_dir.join("h/abc.txt"),
            fs::Permissions::from_mode(0o444),
        )
        .unwrap();
        assert!(seed(&seed_dir, &cache, "x86_64-linux-musl").unwrap());
        assert_eq!(
            fs::read_to_string(cache.join("o/abc/libc.a")).unwrap(),
            "archive"
        );
        assert!(marker(&cache, "x86_64-linux-musl").exists());
        let mode = fs::metadata(cache.join("h/abc.txt"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o200, 0o200, "copy must be writable");
        assert!(!cache.join("nixcross/lock-x86_64-linux-musl").exists());
        assert!(!cache.join("nixcross/tmp").exists());
        assert!(!cache.join(".nixcross-writable").exists());
    }

    #[test]
    fn a_seed_without_this_target_is_not_used_and_a_missing_one_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let seed_dir = d.path().join("seed");
        tree(&seed_dir, &[("nixcross/warm-aarch64-linux-musl", "")]);
        assert!(!seed(&seed_dir, &d.path().join("c"), "x86_64-windows-gnu").unwrap());
        let e = seed(&d.path().join("nope"), &d.path().join("c"), "k")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("NIXCROSS_PREWARMED_CACHE") && e.contains("nixcross prewarm"),
            "{e}"
        );
    }

    #[test]
    fn files_already_in_the_cache_are_kept() {
        let d = tempfile::tempdir().unwrap();
        let (seed_dir, cache) = (d.path().join("seed"), d.path().join("cache"));
        tree(&seed_dir, &[("o/x", "seed"), ("nixcross/warm-k", "")]);
        tree(&cache, &[("o/x", "mine")]);
        seed(&seed_dir, &cache, "k").unwrap();
        assert_eq!(fs::read_to_string(cache.join("o/x")).unwrap(), "mine");
    }
}
