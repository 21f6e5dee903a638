//! Link-time stubs for libraries every installation of a target OS has but zig does not
//! ship: macOS's system frameworks (CoreFoundation, Security, …), libobjc and libiconv.
//! They are generated (crates/stubgen, from stubs/darwin/sources.json), compiled in,
//! written once into the writable zig cache and searched after any SDK the user gave, so
//! a real SDK always wins.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StubKind {
    /// Found by `-framework X` in `<dir>/Frameworks/X.framework/X.tbd`.
    Framework,
    /// Found by `-lX` in `<dir>/lib/libX.tbd`.
    Dylib,
}

#[derive(Debug)]
pub struct Stub {
    /// The name a link asks for: `-framework CoreFoundation`, `-lobjc`.
    pub link_name: &'static str,
    pub kind: StubKind,
    /// Below the stubs directory.
    pub path: &'static str,
    /// What the binary records and dyld loads on the user's Mac.
    pub install_name: &'static str,
    pub text: &'static str,
}

include!("../../stubs/darwin/index.rs");

/// The stub a link request resolves to, if nixcross has one.
pub fn find(kind: StubKind, link_name: &str) -> Option<&'static Stub> {
    STUBS
        .iter()
        .find(|s| s.kind == kind && s.link_name == link_name)
}

pub fn names(kind: StubKind) -> Vec<&'static str> {
    STUBS
        .iter()
        .filter(|s| s.kind == kind)
        .map(|s| s.link_name)
        .collect()
}

/// Whether `install_name` is a library every supported macOS has: a stubbed one, or one
/// of sources.json's `also_system` libraries and frameworks.
pub fn is_macos_system_library(install_name: &str) -> bool {
    if STUBS.iter().any(|s| s.install_name == install_name)
        || ALSO_SYSTEM_LIBRARIES.contains(&install_name)
    {
        return true;
    }
    // /System/Library/Frameworks/<F>.framework/Versions/<V>/<F>
    let Some(rest) = install_name.strip_prefix("/System/Library/Frameworks/") else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [fw, "Versions", v, bin] if !v.is_empty() => {
            fw.strip_suffix(".framework") == Some(*bin) && ALSO_SYSTEM_FRAMEWORKS.contains(bin)
        }
        _ => false,
    }
}

/// The directory the stubs live in under `cache`: named by the stubs' content hash
/// (computed by the generator), so a newer nixcross never reads an older stub.
pub fn dir(cache: &Path) -> PathBuf {
    cache.join("nixcross").join(format!("stubs-{STUBS_ID}"))
}

/// The linker arguments that search the stubs (after any SDK's).
pub fn search_args(dir: &Path) -> [String; 2] {
    [
        format!("-L{}", dir.join("lib").display()),
        format!("-F{}", dir.join("Frameworks").display()),
    ]
}

/// Writes the stubs into `dir` unless it exists: all of them into a temporary directory
/// first, then one rename, so parallel links never see a partial set.
pub fn ensure(dir: &Path) -> Result<(), Error> {
    if dir.is_dir() {
        return Ok(());
    }
    let io = |what: String| move |source| Error::Io { what, source };
    let parent = dir.parent().expect("stub dir has a parent");
    fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    let tmp = parent.join(format!(".stubs-tmp-{}", std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    let written = (|| -> Result<(), Error> {
        for stub in STUBS {
            let path = tmp.join(stub.path);
            let d = path.parent().expect("stub path has a directory");
            fs::create_dir_all(d).map_err(io(format!("creating {}", d.display())))?;
            fs::write(&path, stub.text).map_err(io(format!("writing {}", path.display())))?;
        }
        Ok(())
    })();
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    match fs::rename(&tmp, dir) {
        Ok(()) => Ok(()),
        // Another link renamed its copy first: theirs is identical.
        Err(_) if dir.is_dir() => {
            let _ = fs::remove_dir_all(&tmp);
            Ok(())
        }
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            Err(Error::Io {
                what: format!("renaming {} to {}", tmp.display(), dir.display()),
                source: e,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iconv_stub_names_the_dylib_every_macos_has() {
        // libc's Apple bindings say #[link(name = "iconv")]; the stub must resolve to
        // the real install name, or dyld fails to load the binary on the user's Mac.
        let s = find(StubKind::Dylib, "iconv").unwrap();
        assert_eq!(s.install_name, "/usr/lib/libiconv.2.dylib");
        assert!(s
            .text
            .contains("install-name:          '/usr/lib/libiconv.2.dylib'"));
        for sym in ["_iconv,", "_iconv_open", "_iconv_close"] {
            assert!(s.text.contains(sym), "{sym}");
        }
    }

    #[test]
    fn the_frameworks_real_crates_link_are_stubbed_under_their_install_names() {
        // chrono (CoreFoundation), native-tls (Security), reqwest (SystemConfiguration),
        // sysinfo (IOKit), notify (CoreServices), objc2 crates (Foundation, AppKit, objc).
        for (kind, name, install) in [
            (StubKind::Framework, "CoreFoundation", "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation"),
            (StubKind::Framework, "Security", "/System/Library/Frameworks/Security.framework/Versions/A/Security"),
            (StubKind::Framework, "SystemConfiguration", "/System/Library/Frameworks/SystemConfiguration.framework/Versions/A/SystemConfiguration"),
            (StubKind::Framework, "IOKit", "/System/Library/Frameworks/IOKit.framework/Versions/A/IOKit"),
            (StubKind::Framework, "CoreServices", "/System/Library/Frameworks/CoreServices.framework/Versions/A/CoreServices"),
            (StubKind::Framework, "Foundation", "/System/Library/Frameworks/Foundation.framework/Versions/C/Foundation"),
            (StubKind::Framework, "AppKit", "/System/Library/Frameworks/AppKit.framework/Versions/C/AppKit"),
            (StubKind::Dylib, "objc", "/usr/lib/libobjc.A.dylib"),
        ] {
            let s = find(kind, name).unwrap_or_else(|| panic!("{name} is not stubbed"));
            assert_eq!(s.install_name, install);
            assert!(s.text.contains(&format!("install-name:          '{install}'")), "{name}");
            for t in ["x86_64-macos", "arm64-macos"] {
                assert!(s.text.contains(t), "{name}: {t}");
            }
            assert!(is_macos_system_library(install));
        }
        // A few symbols the fixtures' crates import.
        let cf = find(StubKind::Framework, "CoreFoundation").unwrap().text;
        assert!(cf.contains("_CFTimeZoneCopySystem") && cf.contains("_kCFAllocatorDefault"));
        let sec = find(StubKind::Framework, "Security").unwrap().text;
        assert!(sec.contains("_SecTrustEvaluateWithError"));
    }

    #[test]
    fn system_libraries_are_the_listed_ones_only() {
        assert!(is_macos_system_library("/usr/lib/libSystem.B.dylib"));
        assert!(is_macos_system_library(
            "/System/Library/Frameworks/Metal.framework/Versions/A/Metal"
        ));
        assert!(!is_macos_system_library("/usr/local/lib/libssl.3.dylib"));
        assert!(!is_macos_system_library("@rpath/libfoo.dylib"));
        assert!(!is_macos_system_library(
            "/System/Library/Frameworks/Metal.framework/Versions/A/MetalKit"
        ));
        assert!(!is_macos_system_library(
            "/System/Library/PrivateFrameworks/Foo.framework/Versions/A/Foo"
        ));
    }

    #[test]
    fn ensure_writes_every_stub_once_into_a_content_named_dir() {
        let cache = tempfile::tempdir().unwrap();
        let d = dir(cache.path());
        assert!(d.ends_with(format!("nixcross/stubs-{STUBS_ID}")));
        ensure(&d).unwrap();
        ensure(&d).unwrap();
        for s in STUBS {
            assert_eq!(fs::read_to_string(d.join(s.path)).unwrap(), s.text);
        }
        let leftovers: Vec<_> = fs::read_dir(d.parent().unwrap())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".stubs-tmp"))
            .collect();
        assert!(leftovers.is_empty(), "no temporary directories left");
    }

    #[test]
    fn stubs_id_is_the_hash_of_the_stubs() {
        // The generator names the directory; a stub edited by hand without re-running it
        // would reuse an old directory name with new contents.
        use sha2::{Digest, Sha256};
        let mut files: Vec<(&str, &str)> = STUBS.iter().map(|s| (s.path, s.text)).collect();
        files.sort();
        let mut h = Sha256::new();
        for (path, text) in files {
            h.update(path.as_bytes());
            h.update([0]);
            h.update(text.as_bytes());
            h.update([0]);
        }
        let id: String = h.finalize()[..6]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(id, STUBS_ID);
    }
}
