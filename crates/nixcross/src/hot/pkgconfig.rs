//! `nixcross-<target>-pkg-config`: what `PKG_CONFIG_<target>` (the pkg-config crate) and
//! the CMake toolchain file (`PKG_CONFIG_EXECUTABLE`) name instead of pkg-config. The
//! build machine's `.pc` files describe the build machine's libraries: linked into a
//! binary for another OS or CPU they fail at link time at best, and on Nix (whose setup
//! hooks put every build input's `.pc` directory on PKG_CONFIG_PATH) they would be found.
//! So it runs the real pkg-config only on the target's own `.pc` files, given by
//! PKG_CONFIG_LIBDIR (target-specific first, as the pkg-config crate spells it), with
//! PKG_CONFIG_PATH removed; without them every query fails with one line naming the fix.
//! Questions about pkg-config itself (`--version`) are answered by the real one, so CMake's
//! FindPkgConfig still finds a pkg-config.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::hot::wrap::Env;

#[derive(Debug, PartialEq)]
pub enum Decision {
    /// Run the real pkg-config with these variables set and PKG_CONFIG_PATH removed.
    Run {
        program: PathBuf,
        set: Vec<(String, String)>,
    },
    /// Print this line and exit 1 (pkg-config's "not found").
    Refuse(String),
}

/// Arguments that ask about pkg-config, not about a library.
fn about_itself(args: &[String]) -> bool {
    let mut it = args.iter();
    let mut any = false;
    while let Some(a) = it.next() {
        any = true;
        match a.as_str() {
            "--version" | "--about" | "--help" | "-?" => {}
            "--atleast-pkgconfig-version" => {
                it.next();
            }
            s if s.starts_with("--atleast-pkgconfig-version=") => {}
            _ => return false,
        }
    }
    any
}

/// `var_<target>`, `var_<target with underscores>`, then `var` (the pkg-config crate's
/// order, without the HOST_/TARGET_ forms, which do not say which target they mean).
fn targeted(env: Env, var: &str, target: &str) -> Option<String> {
    [
        format!("{var}_{target}"),
        format!("{var}_{}", target.replace('-', "_")),
        var.to_string(),
    ]
    .iter()
    .find_map(|k| env(k).filter(|v| !v.is_empty()))
}

pub fn decide(target: &str, args: &[String], env: Env) -> Result<Decision, Error> {
    let libdir = targeted(env, "PKG_CONFIG_LIBDIR", target);
    if libdir.is_none() && !about_itself(args) {
        let what: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .filter(|a| !a.starts_with('-'))
            .collect();
        let what = if what.is_empty() {
            String::new()
        } else {
            format!(" for '{}'", what.join(" "))
        };
        return Ok(Decision::Refuse(format!(
            "nixcross: pkg-config{what} refused for {target}: only the target's own .pc files may be used, and none are given (the build machine's describe its own libraries); build the C library from source (the -sys crate's vendored/bundled/static feature), or set PKG_CONFIG_LIBDIR_{}=<target sysroot>/usr/lib/pkgconfig (and PKG_CONFIG_SYSROOT_DIR_{} for its prefix)",
            target.replace('-', "_"),
            target.replace('-', "_"),
        )));
    }
    let mut set = Vec::new();
    if let Some(l) = libdir {
        set.push(("PKG_CONFIG_LIBDIR".to_string(), l));
    }
    if let Some(s) = targeted(env, "PKG_CONFIG_SYSROOT_DIR", target) {
        set.push(("PKG_CONFIG_SYSROOT_DIR".to_string(), s));
    }
    Ok(Decision::Run {
        program: real_pkg_config(env)?,
        set,
    })
}

/// The first pkg-config (or pkgconf) on PATH that is not one of nixcross's links.
fn real_pkg_config(env: Env) -> Result<PathBuf, Error> {
    let path = env("PATH").unwrap_or_default();
    let me = std::env::current_exe().and_then(std::fs::canonicalize).ok();
    for dir in std::env::split_paths(&path) {
        for name in ["pkg-config", "pkgconf"] {
            let c = dir.join(name);
            let Ok(real) = std::fs::canonicalize(&c) else {
                continue;
            };
            let ours = me.as_deref() == Some(real.as_path())
                || real
                    .file_name()
                    .is_some_and(|f| f.to_string_lossy().starts_with("nixcross"));
            if !ours && is_executable(&real) {
                return Ok(c);
            }
        }
    }
    Err(Error::ToolNotFound {
        tool: PathBuf::from("pkg-config"),
        hint: "no pkg-config or pkgconf on PATH (Debian: apt-get install pkg-config; nixpkgs: pkg-config)".into(),
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Runs the decision: becomes the real pkg-config, or refuses.
pub fn execute(decision: Decision, args: Vec<std::ffi::OsString>) -> Result<i32, Error> {
    match decision {
        Decision::Refuse(line) => {
            eprintln!("{line}");
            Ok(1)
        }
        Decision::Run { program, set } => {
            use std::os::unix::process::CommandExt;
            let mut cmd = std::process::Command::new(&program);
            cmd.args(args).env_remove("PKG_CONFIG_PATH");
            for (k, v) in set {
                cmd.env(k, v);
            }
            let source = cmd.exec();
            Err(Error::Spawn { program, source })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn a(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// The case that matters: Nix's pkg-config setup hook (or a user's shell) has host
    /// .pc directories on PKG_CONFIG_PATH, and a -sys crate probes for zlib.
    #[test]
    fn a_library_query_without_target_pc_files_is_refused_whatever_pkg_config_path_says() {
        let pairs = [
            ("PKG_CONFIG_PATH", "/usr/lib/x86_64-linux-gnu/pkgconfig"),
            ("PKG_CONFIG_ALLOW_CROSS", "1"),
        ];
        let env = env_of(&pairs);
        let d = decide(
            "x86_64-pc-windows-gnu",
            &a(&["--libs", "--cflags", "zlib"]),
            &env,
        )
        .unwrap();
        let Decision::Refuse(line) = d else {
            panic!("{d:?}")
        };
        assert!(
            line.contains("pkg-config for 'zlib' refused for x86_64-pc-windows-gnu"),
            "{line}"
        );
        assert!(
            line.contains("PKG_CONFIG_LIBDIR_x86_64_pc_windows_gnu="),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn target_pc_files_are_used_target_specific_first() {
        let dir = tempfile::tempdir().unwrap();
        let pc = dir.path().join("pkg-config");
        std::fs::write(&pc, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pc, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().display().to_string();
        let pairs = [
            ("PATH", path.as_str()),
            ("PKG_CONFIG_LIBDIR", "/generic"),
            (
                "PKG_CONFIG_LIBDIR_aarch64-unknown-linux-musl",
                "/sysroot/usr/lib/pkgconfig",
            ),
            (
                "PKG_CONFIG_SYSROOT_DIR_aarch64_unknown_linux_musl",
                "/sysroot",
            ),
        ];
        let env = env_of(&pairs);
        let d = decide("aarch64-unknown-linux-musl", &a(&["--libs", "zlib"]), &env).unwrap();
        assert_eq!(
            d,
            Decision::Run {
                program: pc,
                set: vec![
                    (
                        "PKG_CONFIG_LIBDIR".into(),
                        "/sysroot/usr/lib/pkgconfig".into()
                    ),
                    ("PKG_CONFIG_SYSROOT_DIR".into(), "/sysroot".into())
                ]
            }
        );
    }

    /// CMake's FindPkgConfig runs `--version` to find a pkg-config at all.
    #[test]
    fn questions_about_pkg_config_itself_are_answered() {
        let dir = tempfile::tempdir().unwrap();
        let pc = dir.path().join("pkgconf");
        std::fs::write(&pc, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&pc, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.path().display().to_string();
        let pairs = [("PATH", path.as_str())];
        let env = env_of(&pairs);
        for q in [
            &["--version"][..],
            &["--atleast-pkgconfig-version", "0.29"],
            &["--atleast-pkgconfig-version=0.29"],
        ] {
            assert!(
                matches!(
                    decide("x86_64-apple-darwin", &a(q), &env).unwrap(),
                    Decision::Run { .. }
                ),
                "{q:?}"
            );
        }
        // An empty call asks nothing about pkg-config: refused like a query.
        assert!(matches!(
            decide("x86_64-apple-darwin", &[], &env).unwrap(),
            Decision::Refuse(_)
        ));
        // And no pkg-config at all names the package.
        let none_pairs = [("PATH", "/nonexistent"), ("PKG_CONFIG_LIBDIR", "/x")];
        let none = env_of(&none_pairs);
        let e = decide("x86_64-apple-darwin", &a(&["--libs", "z"]), &none).unwrap_err();
        assert!(e.to_string().contains("apt-get install pkg-config"), "{e}");
    }
}
