//! What a macOS link asks for (`-framework X`, `-lX`) and whether anything provides it:
//! zig itself (libSystem and friends), nixcross's stubs, or a search path on the command
//! line (an SDK, a build script's output). A request nothing provides becomes one clear
//! error naming the fix, instead of zig's "unable to find framework".

use std::path::{Path, PathBuf};

use crate::hot::stubs::{self, StubKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub kind: StubKind,
    pub name: String,
    /// Crates whose metadata records the request (rlib file names), if found.
    pub requested_by: Vec<String>,
}

impl Missing {
    pub fn describe(&self) -> String {
        let what = match self.kind {
            StubKind::Framework => format!("framework {}", self.name),
            StubKind::Dylib => format!("-l{}", self.name),
        };
        if self.requested_by.is_empty() {
            what
        } else {
            format!("{what} (asked for by {})", self.requested_by.join(", "))
        }
    }
}

#[derive(Debug, Default)]
struct Requests {
    frameworks: Vec<String>,
    libraries: Vec<String>,
    framework_dirs: Vec<PathBuf>,
    library_dirs: Vec<PathBuf>,
    rlibs: Vec<PathBuf>,
}

/// Reads the link requests and search paths out of zig-cc-style arguments, in the forms
/// rustc, cc-rs and build systems pass them.
fn parse(args: &[String]) -> Requests {
    let mut r = Requests::default();
    let mut i = 0;
    let next = |i: usize| args.get(i + 1).cloned();
    while i < args.len() {
        let a = args[i].as_str();
        let mut consumed = 1;
        match a {
            "-framework" | "-weak_framework" | "-needed_framework" => {
                if let Some(v) = next(i) {
                    r.frameworks.push(v);
                }
                consumed = 2;
            }
            "-F" | "-L" | "-l" => {
                if let Some(v) = next(i) {
                    match a {
                        "-F" => r.framework_dirs.push(v.into()),
                        "-L" => r.library_dirs.push(v.into()),
                        _ => r.libraries.push(v),
                    }
                }
                consumed = 2;
            }
            _ if a.starts_with("-Wl,") => {
                // -Wl,-framework,X  -Wl,-F,dir  -Wl,-L,dir  -Wl,-lX
                let parts: Vec<&str> = a[4..].split(',').collect();
                let mut j = 0;
                while j < parts.len() {
                    match parts[j] {
                        "-framework" | "-weak_framework" | "-needed_framework"
                            if j + 1 < parts.len() =>
                        {
                            r.frameworks.push(parts[j + 1].into());
                            j += 1;
                        }
                        "-F" if j + 1 < parts.len() => {
                            r.framework_dirs.push(parts[j + 1].into());
                            j += 1;
                        }
                        "-L" if j + 1 < parts.len() => {
                            r.library_dirs.push(parts[j + 1].into());
                            j += 1;
                        }
                        p if p.starts_with("-F") && p.len() > 2 => {
                            r.framework_dirs.push(p[2..].into())
                        }
                        p if p.starts_with("-L") && p.len() > 2 => {
                            r.library_dirs.push(p[2..].into())
                        }
                        p if p.starts_with("-l") && p.len() > 2 => r.libraries.push(p[2..].into()),
                        _ => {}
                    }
                    j += 1;
                }
            }
            _ if a.starts_with("-weak-l") || a.starts_with("-needed-l") => {
                r.libraries.push(a[a.find("-l").unwrap() + 2..].into());
            }
            _ if a.starts_with("-F") => r.framework_dirs.push(a[2..].into()),
            _ if a.starts_with("-L") => r.library_dirs.push(a[2..].into()),
            _ if a.starts_with("-l") => r.libraries.push(a[2..].into()),
            _ if a.ends_with(".rlib") => r.rlibs.push(a.into()),
            _ => {}
        }
        i += consumed;
    }
    r
}

fn framework_in(dirs: &[PathBuf], name: &str) -> bool {
    dirs.iter().any(|d| {
        let fw = d.join(format!("{name}.framework"));
        fw.join(format!("{name}.tbd")).exists() || fw.join(name).exists()
    })
}

fn library_in(dirs: &[PathBuf], name: &str) -> bool {
    dirs.iter().any(|d| {
        ["tbd", "dylib", "a", "so"]
            .iter()
            .any(|ext| d.join(format!("lib{name}.{ext}")).exists())
    })
}

/// Crates (rlib file names) whose metadata lists `name` as a native library: rustc
/// stores it as a length-prefixed string ended by 0xC1, both for `#[link]` and for a
/// build script's `cargo:rustc-link-lib`.
fn requested_by(rlibs: &[PathBuf], name: &str) -> Vec<String> {
    let Ok(len) = u8::try_from(name.len()) else {
        return vec![];
    };
    if len >= 0x80 {
        return vec![];
    }
    let mut needle = vec![len];
    needle.extend_from_slice(name.as_bytes());
    needle.push(0xC1);
    rlibs
        .iter()
        .filter(|p| {
            std::fs::read(p).is_ok_and(|data| data.windows(needle.len()).any(|w| w == needle))
        })
        .map(|p| crate_of(p))
        .collect()
}

/// `…/libsecurity_framework_sys-1a2b.rlib` -> `security_framework_sys (libsecurity_framework_sys-1a2b.rlib)`.
fn crate_of(rlib: &Path) -> String {
    let file = rlib
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = file
        .strip_prefix("lib")
        .and_then(|s| s.strip_suffix(".rlib"))
        .map(|s| s.rsplit_once('-').map(|(n, _)| n).unwrap_or(s))
        .unwrap_or(&file);
    format!("crate {name} ({file})")
}

/// Every framework and library the link asks for that nothing provides.
/// `zig_libraries`: the `-l` names zig resolves itself for this target.
pub fn missing(args: &[String], zig_libraries: &[String]) -> Vec<Missing> {
    let r = parse(args);
    let mut out: Vec<Missing> = Vec::new();
    let mut add = |kind, name: &str| {
        if !out.iter().any(|m| m.kind == kind && m.name == name) {
            out.push(Missing {
                kind,
                name: name.to_string(),
                requested_by: vec![],
            });
        }
    };
    for f in &r.frameworks {
        if stubs::find(StubKind::Framework, f).is_none() && !framework_in(&r.framework_dirs, f) {
            add(StubKind::Framework, f);
        }
    }
    for l in &r.libraries {
        if !zig_libraries.iter().any(|z| z == l)
            && stubs::find(StubKind::Dylib, l).is_none()
            && !library_in(&r.library_dirs, l)
        {
            add(StubKind::Dylib, l);
        }
    }
    for m in &mut out {
        m.requested_by = requested_by(&r.rlibs, &m.name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn zig_libs() -> Vec<String> {
        args(&["c", "m", "System", "pthread", "dl", "c++"])
    }

    #[test]
    fn stubbed_frameworks_and_libraries_are_provided() {
        // core-foundation-sys, security-framework-sys, objc2 and libc as rustc passes them.
        let a = args(&[
            "-framework",
            "CoreFoundation",
            "-framework",
            "Security",
            "-lobjc",
            "-liconv",
            "-lSystem",
            "-lc",
            "-Wl,-framework,IOKit",
            "-weak_framework",
            "AppKit",
        ]);
        assert_eq!(missing(&a, &zig_libs()), []);
    }

    #[test]
    fn a_framework_nothing_provides_is_reported_once() {
        let a = args(&["-framework", "Metal", "-framework", "Metal", "-lobjc"]);
        let m = missing(&a, &zig_libs());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].describe(), "framework Metal");
    }

    #[test]
    fn search_paths_on_the_command_line_provide_frameworks_and_libraries() {
        // An SDK (NIXCROSS_DARWIN_SDK adds -F/-L) or a build script's -L native=DIR.
        let sdk = tempfile::tempdir().unwrap();
        let fw = sdk.path().join("System/Library/Frameworks/Metal.framework");
        std::fs::create_dir_all(&fw).unwrap();
        std::fs::write(fw.join("Metal.tbd"), "").unwrap();
        let lib = sdk.path().join("usr/lib");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("libz.tbd"), "").unwrap();
        let out = sdk.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("libbundled.a"), "").unwrap();
        let a = vec![
            format!(
                "-F{}",
                sdk.path().join("System/Library/Frameworks").display()
            ),
            format!("-L{}", lib.display()),
            "-L".into(),
            out.display().to_string(),
            "-framework".into(),
            "Metal".into(),
            "-lz".into(),
            "-lbundled".into(),
            "-lgone".into(),
        ];
        let m = missing(&a, &zig_libs());
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(m[0].describe(), "-lgone");
    }

    #[test]
    fn the_crate_that_asked_is_named_from_its_rlib_metadata() {
        // rustc records `#[link(name = "Metal", kind = "framework")]` as 05 "Metal" C1.
        let d = tempfile::tempdir().unwrap();
        let asked = d.path().join("libmetal_sys-0a1b2c.rlib");
        std::fs::write(&asked, b"!<arch>\n...\x00\x00\x05Metal\xc1\x00...").unwrap();
        let other = d.path().join("libmetalkit-99.rlib");
        std::fs::write(&other, b"!<arch>\n\x08MetalKit\xc1 Metal").unwrap();
        let a = vec![
            asked.display().to_string(),
            other.display().to_string(),
            "-framework".into(),
            "Metal".into(),
        ];
        let m = missing(&a, &zig_libs());
        assert_eq!(
            m[0].describe(),
            "framework Metal (asked for by crate metal_sys (libmetal_sys-0a1b2c.rlib))"
        );
    }

    #[test]
    fn libraries_zig_provides_are_not_missing() {
        let a = args(&["-lc++", "-lm", "-ldl", "-lpthread"]);
        assert_eq!(missing(&a, &zig_libs()), []);
        let m = missing(&args(&["-lresolv"]), &zig_libs());
        assert_eq!(m[0].describe(), "-lresolv");
    }
}
