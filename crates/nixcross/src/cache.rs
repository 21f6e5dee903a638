//! A writable cache for zig. In the Nix sandbox HOME is not writable and zig's lib dir is
//! read-only in the store, so zig must always be told where to write.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Picks the cache directory: NIXCROSS_CACHE_DIR (must work if set), then an existing
/// ZIG_GLOBAL_CACHE_DIR, then $XDG_CACHE_HOME or $HOME/.cache, then $TMPDIR.
pub fn cache_dir(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, Error> {
    if let Some(dir) = env("NIXCROSS_CACHE_DIR").filter(|s| !s.is_empty()) {
        let dir = PathBuf::from(dir);
        return match writable(&dir) {
            Ok(()) => Ok(dir),
            Err(why) => Err(Error::NoWritableCache {
                tried: vec![(dir, why)],
            }),
        };
    }
    let mut candidates = Vec::new();
    if let Some(d) = env("ZIG_GLOBAL_CACHE_DIR").filter(|s| !s.is_empty()) {
        candidates.push(PathBuf::from(d));
    }
    if let Some(d) = env("XDG_CACHE_HOME").filter(|s| !s.is_empty()) {
        candidates.push(Path::new(&d).join("nixcross/zig"));
    }
    if let Some(d) = env("HOME").filter(|s| !s.is_empty()) {
        candidates.push(Path::new(&d).join(".cache/nixcross/zig"));
    }
    let tmp = env("TMPDIR")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "/tmp".into());
    candidates.push(Path::new(&tmp).join(format!("nixcross-zig-cache-{}", uid())));
    let mut tried = Vec::new();
    for dir in candidates {
        match writable(&dir) {
            Ok(()) => return Ok(dir),
            Err(why) => tried.push((dir, why)),
        }
    }
    Err(Error::NoWritableCache { tried })
}

/// Creates `dir` if needed and proves we can create files in it.
fn writable(dir: &Path) -> Result<(), String> {
    fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(".nixcross-writable"))
        .map(drop)
        .map_err(|e| e.to_string())
}

fn uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").map(|m| m.uid()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn unwritable_home_falls_back_to_tmpdir() {
        let tmp = tempfile::tempdir().unwrap();
        let env = env_of(&[
            ("HOME", "/proc/homeless-shelter"),
            ("TMPDIR", tmp.path().to_str().unwrap()),
        ]);
        let dir = cache_dir(&env).unwrap();
        assert!(dir.starts_with(tmp.path()), "{}", dir.display());
    }

    #[test]
    fn explicit_cache_dir_that_cannot_be_written_is_an_error_naming_the_variable() {
        let env = env_of(&[("NIXCROSS_CACHE_DIR", "/proc/nixcross-cannot-exist")]);
        let e = cache_dir(&env).unwrap_err().to_string();
        assert!(
            e.contains("/proc/nixcross-cannot-exist") && e.contains("NIXCROSS_CACHE_DIR"),
            "{e}"
        );
    }

    #[test]
    fn nothing_writable_lists_everything_tried() {
        let env = env_of(&[
            ("HOME", "/proc/a"),
            ("TMPDIR", "/proc/b"),
            ("XDG_CACHE_HOME", "/proc/c"),
        ]);
        let e = cache_dir(&env).unwrap_err().to_string();
        for p in ["/proc/a", "/proc/b", "/proc/c"] {
            assert!(e.contains(p), "{e}");
        }
    }

    #[test]
    fn zig_global_cache_dir_is_respected_when_writable() {
        let tmp = tempfile::tempdir().unwrap();
        let env = env_of(&[
            ("ZIG_GLOBAL_CACHE_DIR", tmp.path().to_str().unwrap()),
            ("HOME", "/proc/x"),
        ]);
        assert_eq!(cache_dir(&env).unwrap(), tmp.path());
    }
}
