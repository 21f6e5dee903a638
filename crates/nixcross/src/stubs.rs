//! Link-time stubs for system libraries that every installation of a target OS has but
//! zig does not ship (macOS's libiconv). They are written into the writable zig cache
//! and searched after any SDK the user gave, so a real SDK always wins.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::Error;

/// (file name, contents) of every stub a target table entry may name.
const STUBS: &[(&str, &str)] = &[("libiconv.tbd", include_str!("../stubs/darwin/libiconv.tbd"))];

pub fn contents(name: &str) -> Option<&'static str> {
    STUBS.iter().find(|(n, _)| *n == name).map(|(_, c)| *c)
}

/// The directory the stubs `names` live in under `cache`; its name carries a hash of
/// their contents, so a newer nixcross never reads an older stub.
pub fn dir(cache: &Path, names: &[String]) -> PathBuf {
    let mut h = Sha256::new();
    for n in names {
        h.update(n.as_bytes());
        h.update([0]);
        h.update(contents(n).unwrap_or("").as_bytes());
    }
    let hex: String = h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    cache.join("nixcross").join(format!("stubs-{hex}"))
}

/// Writes missing stubs into `dir`; each goes through a temporary file and a rename so
/// that parallel links never read a half-written one.
pub fn ensure(dir: &Path, names: &[String]) -> Result<(), Error> {
    let io = |what: String| move |source| Error::Io { what, source };
    fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    for name in names {
        let path = dir.join(name);
        if path.exists() {
            continue;
        }
        let text = contents(name).expect("table tests check every stub exists");
        let tmp = dir.join(format!(".{name}.{}", std::process::id()));
        fs::write(&tmp, text).map_err(io(format!("writing {}", tmp.display())))?;
        fs::rename(&tmp, &path).map_err(io(format!("renaming to {}", path.display())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iconv_stub_names_the_dylib_every_macos_has() {
        // libc's Apple bindings say #[link(name = "iconv")]; the stub must resolve to
        // the real install name, or dyld fails to load the binary on the user's Mac.
        let text = contents("libiconv.tbd").unwrap();
        assert!(text.contains("install-name:          '/usr/lib/libiconv.2.dylib'"));
        for sym in ["_iconv,", "_iconv_open", "_iconv_close"] {
            assert!(text.contains(sym), "{sym}");
        }
        for arch in ["x86_64-macos", "arm64-macos"] {
            assert!(text.contains(arch), "{arch}");
        }
    }

    #[test]
    fn ensure_writes_each_stub_once_into_a_content_named_dir() {
        let cache = tempfile::tempdir().unwrap();
        let names = vec!["libiconv.tbd".to_string()];
        let d = dir(cache.path(), &names);
        assert!(d
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("stubs-"));
        ensure(&d, &names).unwrap();
        ensure(&d, &names).unwrap();
        let written = fs::read_to_string(d.join("libiconv.tbd")).unwrap();
        assert_eq!(written, contents("libiconv.tbd").unwrap());
        assert_eq!(
            fs::read_dir(&d).unwrap().count(),
            1,
            "no temporary files left"
        );
    }
}
