//! A writable cache for zig. In the Nix sandbox HOME is not writable and zig's lib dir is
//! read-only in the store, so zig must always be told where to write.

use std::fs::{self, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::Error;

/// Picks the cache directory: NIXCROSS_CACHE_DIR (must work if set), then an existing
/// ZIG_GLOBAL_CACHE_DIR, then $XDG_CACHE_HOME or $HOME/.cache, then $TMPDIR.
pub fn cache_dir(env: &dyn Fn(&str) -> Option<String>) -> Result<PathBuf, Error> {
    if let Some(dir) = env("NIXCROSS_CACHE_DIR").filter(|s| !s.is_empty()) {
        // zig and the linker run in other directories: the cache path must be absolute.
        let dir = absolute(Path::new(&dir))?;
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
    let shared = Path::new(&tmp).join(format!("nixcross-zig-cache-{}", uid()));
    let mut tried = Vec::new();
    for dir in candidates {
        match writable(&dir) {
            Ok(()) => return Ok(dir),
            Err(why) => tried.push((dir, why)),
        }
    }
    // $TMPDIR is shared with other users: anyone may have made this name first.
    match private_dir(&shared).and_then(|()| writable(&shared)) {
        Ok(()) => Ok(shared),
        Err(why) => {
            tried.push((shared, why));
            Err(Error::NoWritableCache { tried })
        }
    }
}

/// Makes `dir` (mode 0700) or accepts it only if it is a real directory, not a symlink,
/// owned by this user and writable by nobody else: what zig finds in its cache goes into
/// the binaries, so a directory another user can write is never used.
fn private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt};
    match fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e.to_string()),
    }
    let meta = fs::symlink_metadata(dir).map_err(|e| e.to_string())?;
    judge_shared(
        meta.file_type().is_symlink(),
        meta.is_dir(),
        meta.uid(),
        meta.mode(),
        uid(),
    )
}

/// The rule for a cache directory in a shared place, from its metadata.
fn judge_shared(symlink: bool, dir: bool, owner: u32, mode: u32, me: u32) -> Result<(), String> {
    if symlink {
        return Err(
            "it is a symbolic link, which another user could point anywhere; not used".into(),
        );
    }
    if !dir {
        return Err("it is not a directory".into());
    }
    if owner != me {
        return Err(format!(
            "it belongs to uid {owner}, not to you (uid {me}); another user's files would go into your binaries, so it is not used"
        ));
    }
    if mode & 0o022 != 0 {
        return Err(format!(
            "it is writable by group or others (mode {:o}), so it is not used",
            mode & 0o777
        ));
    }
    Ok(())
}

/// `dir` made absolute against the current directory.
pub fn absolute(dir: &Path) -> Result<PathBuf, Error> {
    if dir.is_absolute() {
        return Ok(dir.to_path_buf());
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(dir))
        .map_err(|source| Error::Io {
            what: "finding the current directory".into(),
            source,
        })
}

/// Creates `dir` if needed and proves we can create files in it.
fn writable(dir: &Path) -> Result<(), String> {
    // Every compile and link asks: an existing directory the kernel says we may write
    // (one access(2)) is enough; only a new one is created and probed with a file.
    if dir_writable(dir) {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(".nixcross-writable"))
        .map(drop)
        .map_err(|e| e.to_string())
}

fn dir_writable(dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: access(2) reads the NUL-terminated path only.
    unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) == 0 }
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

    /// With HOME unusable (CI runners, service accounts) the cache falls back to
    /// $TMPDIR, which other users share: a directory they made there must not be used.
    #[test]
    fn the_tmpdir_fallback_is_private_and_refuses_what_others_could_write() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let env = env_of(&[
            ("HOME", "/proc/homeless-shelter"),
            ("TMPDIR", tmp.path().to_str().unwrap()),
        ]);
        let dir = cache_dir(&env).unwrap();
        let mode = fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "made private");
        // Writable by others (as if made by another user with mode 0777): refused.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let e = cache_dir(&env).unwrap_err().to_string();
        assert!(
            e.contains("writable by group or others") && e.contains("NIXCROSS_CACHE_DIR"),
            "{e}"
        );
        // A symlink to someone else's directory: refused.
        fs::remove_dir_all(&dir).unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, &dir).unwrap();
        let e = cache_dir(&env).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
    }

    #[test]
    fn a_shared_cache_directory_of_another_user_is_refused() {
        let e = judge_shared(false, true, 1001, 0o40700, 1000).unwrap_err();
        assert!(e.contains("uid 1001") && e.contains("uid 1000"), "{e}");
        assert!(judge_shared(false, true, 1000, 0o40700, 1000).is_ok());
        assert!(judge_shared(false, true, 1000, 0o40770, 1000).is_err());
        assert!(judge_shared(false, false, 1000, 0o100600, 1000).is_err());
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
