//! Seeding a cache from a prewarmed one (NIXCROSS_PREWARMED_CACHE): the first link for
//! a zig target copies zig's libc from the seed instead of compiling it. On the hot path:
//! the wrapper does this itself on a first link.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::error::{io, Error};

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
        || s.starts_with("nixcross/seeding-")
}

/// How one file is copied (a parameter so that tests can make copies fail part-way).
type CopyFile<'a> = &'a dyn Fn(&Path, &Path) -> std::io::Result<u64>;

fn copy_file(src: &Path, dst: &Path) -> std::io::Result<u64> {
    fs::copy(src, dst)
}

/// Copies the files of `from` below `rel` into `to` (an empty staging directory),
/// writable (a Nix store copy is read-only and zig rewrites its manifests), keeping
/// time stamps (as cp -p: a copied artifact is then told apart from one zig rebuilt).
fn stage_tree(from: &Path, to: &Path, rel: &Path, copy: CopyFile) -> Result<u64, Error> {
    let src = from.join(rel);
    let dst = to.join(rel);
    fs::create_dir_all(&dst).map_err(io(format!("creating {}", dst.display())))?;
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
        if kind.is_dir() {
            bytes += stage_tree(from, to, &rel, copy)?;
        } else if kind.is_file() {
            let target = to.join(&rel);
            let n = copy(&entry.path(), &target)
                .map_err(io(format!("copying {}", entry.path().display())))?;
            let meta = entry.metadata().ok();
            let mode = if meta.as_ref().is_some_and(|m| m.mode() & 0o111 != 0) {
                0o755
            } else {
                0o644
            };
            fs::set_permissions(&target, fs::Permissions::from_mode(mode))
                .map_err(io(format!("setting permissions of {}", target.display())))?;
            if let Some(modified) = meta.and_then(|m| m.modified().ok()) {
                let _ = fs::File::options()
                    .write(true)
                    .open(&target)
                    .and_then(|f| f.set_modified(modified));
            }
            bytes += n;
        }
    }
    Ok(bytes)
}

/// Every file below `dir`, relative to it.
fn files_below(dir: &Path, rel: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let here = dir.join(rel);
    for entry in fs::read_dir(&here).map_err(io(format!("reading {}", here.display())))? {
        let entry = entry.map_err(io(format!("reading {}", here.display())))?;
        let rel = rel.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            files_below(dir, &rel, out)?;
        } else {
            out.push(rel);
        }
    }
    Ok(())
}

/// The order a staged file is moved into the cache: artifacts, then zig's manifests
/// (h/), which point at them, then nixcross's warm markers, which say all is there. A
/// reader that sees a manifest or a marker then finds everything it refers to.
fn commit_rank(rel: &Path) -> u8 {
    if rel.starts_with("nixcross") {
        2
    } else if rel.starts_with("h") {
        1
    } else {
        0
    }
}

/// Moves the staged files into `cache` (renames within one file system), keeping files
/// the cache already has. If a move fails, the ones already made are undone, so the
/// cache is as it was.
fn commit(staging: &Path, cache: &Path) -> Result<(), Error> {
    let mut files = Vec::new();
    files_below(staging, Path::new(""), &mut files)?;
    files.sort_by_key(|f| commit_rank(f));
    let mut moved: Vec<PathBuf> = Vec::new();
    let mut made_dirs: Vec<PathBuf> = Vec::new();
    let result = (|| -> Result<(), Error> {
        for rel in &files {
            let target = cache.join(rel);
            if target.exists() {
                continue;
            }
            let parent = target.parent().expect("a file in the cache has a parent");
            if !parent.is_dir() {
                let mut missing = Vec::new();
                let mut p = parent;
                while !p.is_dir() {
                    missing.push(p.to_path_buf());
                    p = p.parent().expect("the cache exists");
                }
                fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
                made_dirs.extend(missing);
            }
            fs::rename(staging.join(rel), &target)
                .map_err(io(format!("moving a seeded file to {}", target.display())))?;
            moved.push(target);
        }
        Ok(())
    })();
    if result.is_err() {
        for f in moved.iter().rev() {
            let _ = fs::remove_file(f);
        }
        made_dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for d in made_dirs {
            let _ = fs::remove_dir(d);
        }
    }
    result
}

use std::os::unix::fs::MetadataExt;

/// Fills `cache` from the prewarmed `seed` if the seed holds zig's libc for `key`.
/// Returns false (after a warning) when it does not, so zig builds it as usual. The seed
/// is first copied into a staging directory inside the cache, then moved in, markers
/// last: a copy that fails (a full disk, an unreadable file) leaves the cache as it was.
pub fn seed(seed: &Path, cache: &Path, key: &str) -> Result<bool, Error> {
    seed_with(seed, cache, key, &copy_file)
}

fn seed_with(seed: &Path, cache: &Path, key: &str, copy: CopyFile) -> Result<bool, Error> {
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
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let staging = cache
        .join("nixcross")
        .join(format!("seeding-{}-{nanos}", std::process::id()));
    let staged = stage_tree(seed, &staging, Path::new(""), copy);
    let result = staged.and_then(|bytes| commit(&staging, cache).map(|()| bytes));
    let _ = fs::remove_dir_all(&staging);
    let bytes = result.map_err(|e| {
        Error::Check(format!(
            "copying zig's prebuilt libc from NIXCROSS_PREWARMED_CACHE={} failed, and the cache {} is unchanged: {e}",
            seed.display(),
            cache.display()
        ))
    })?;
    eprintln!(
        "nixcross: first link for {key}: copied zig's prebuilt libc ({} MB) from {}",
        bytes / 1_000_000,
        seed.display()
    );
    Ok(true)
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

    /// A copy that fails part-way (a full disk, an unreadable file) must leave the cache
    /// as it was: no marker, no manifest without its archive. Before, markers could land
    /// first and every later link failed on a missing libc.a until the cache was deleted.
    #[test]
    fn a_seed_copy_that_fails_part_way_leaves_the_cache_as_it_was() {
        let d = tempfile::tempdir().unwrap();
        let (seed_dir, cache) = (d.path().join("seed"), d.path().join("cache"));
        tree(
            &seed_dir,
            &[
                ("h/abc.txt", "manifest"),
                ("nixcross/warm-k", ""),
                ("o/abc/crt1.o", "crt"),
                ("o/abc/libc.a", "archive"),
                ("o/def/libunwind.a", "unwind"),
            ],
        );
        tree(&cache, &[("o/mine/keep", "mine")]);
        let before = listing(&cache);
        for fail_at in 1..=5 {
            let n = std::cell::Cell::new(0);
            let failing = |src: &Path, dst: &Path| {
                n.set(n.get() + 1);
                if n.get() == fail_at {
                    Err(std::io::Error::from_raw_os_error(28)) // ENOSPC
                } else {
                    fs::copy(src, dst)
                }
            };
            let e = seed_with(&seed_dir, &cache, "k", &failing)
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("unchanged") && e.contains("No space left"),
                "{e}"
            );
            assert_eq!(listing(&cache), before, "failing at copy {fail_at}");
        }
        // And a later seed succeeds.
        assert!(seed(&seed_dir, &cache, "k").unwrap());
        assert!(marker(&cache, "k").exists());
        assert_eq!(
            fs::read_to_string(cache.join("o/abc/libc.a")).unwrap(),
            "archive"
        );
    }

    #[test]
    fn markers_and_manifests_are_moved_in_after_the_artifacts() {
        let mut files: Vec<PathBuf> = ["nixcross/warm-k", "h/a.txt", "o/a/libc.a", "z/x"]
            .iter()
            .map(PathBuf::from)
            .collect();
        files.sort_by_key(|f| commit_rank(f));
        let ranks: Vec<u8> = files.iter().map(|f| commit_rank(f)).collect();
        assert_eq!(ranks, [0, 0, 1, 2]);
        assert_eq!(files.last().unwrap(), Path::new("nixcross/warm-k"));
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut v = Vec::new();
        if dir.exists() {
            files_below(dir, Path::new(""), &mut v).unwrap();
        }
        let mut v: Vec<String> = v.iter().map(|p| p.display().to_string()).collect();
        v.sort();
        v
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
