//! `nixcross env --target T`: the environment that makes `cargo build --target T` use the
//! wrapper. The Nix layer computes the same variables from the same table; a test
//! compares the two.

use std::fs;
use std::path::{Path, PathBuf};

use nixcross::error::Error;
use nixcross::hot::rules::Role;
use nixcross::hot::table::{link_name, LinkerKind, Table, Target};
use nixcross::hot::wrap::{self, Env};

use super::buildtools::{self, BuildToolsTable, Headers};

/// Roles the target uses: android has no dlltool, only windows needs one; every target
/// has the pkg-config guard.
pub fn roles_for(table: &Table, target: &Target) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| match target.linker {
            _ if *r == Role::PkgConfig => true,
            LinkerKind::NdkClang => table.ndk_tools.contains_key(r.name()),
            _ => *r != Role::Dlltool || uses_dlltool(target),
        })
        .collect()
}

fn uses_dlltool(target: &Target) -> bool {
    target.rule_sets.iter().any(|s| s == "dlltool")
}

/// `CARGO_TARGET_X86_64_PC_WINDOWS_GNU_` as cargo spells per-target variables.
pub fn cargo_target_prefix(target: &str) -> String {
    format!(
        "CARGO_TARGET_{}_",
        target.to_uppercase().replace(['-', '.'], "_")
    )
}

/// `x86_64_pc_windows_gnu` as cc-rs spells `CC_<target>`.
pub fn cc_suffix(target: &str) -> String {
    target.replace(['-', '.'], "_")
}

/// Variable name and value pairs, in the order they are printed.
pub type Vars = Vec<(String, String)>;

pub struct EnvOptions<'a> {
    pub links_dir: &'a Path,
    /// NIXCROSS_CACHE_DIR as the user set it, made absolute: the links run from other
    /// directories (cargo's, each build script's), which would each resolve a relative
    /// one to a cache of their own.
    pub cache_dir: Option<PathBuf>,
    /// Absolute path of a runner, if one was found.
    pub runner: Option<String>,
    pub zig: Option<PathBuf>,
    pub ndk: Option<String>,
    /// The empty SDK directory SDKROOT points at (macOS targets, when the user set none).
    pub sdkroot: Option<PathBuf>,
    /// CARGO_HOME, remapped to `/cargo` in the outputs: rustc writes the paths of
    /// registry and git dependencies into binaries (panic messages), which `check`
    /// refuses as build-machine paths.
    pub cargo_home: Option<String>,
    /// zig's lib directory (its libc headers, for bindgen), when zig is the compiler.
    pub zig_lib: Option<PathBuf>,
    /// The Android API level the NDK compiles for (the table's unless
    /// NIXCROSS_ANDROID_API says otherwise).
    pub android_api: Option<u32>,
    /// The macOS version outputs are built for, when MACOSX_DEPLOYMENT_TARGET raises it.
    pub macos_version: Option<String>,
}

/// The variables, in a stable order.
pub fn variables(
    table: &Table,
    name: &str,
    opts: &EnvOptions,
) -> Result<Vec<(String, String)>, Error> {
    let target = table.target(name)?;
    let link = |role| {
        opts.links_dir
            .join(link_name(name, role))
            .display()
            .to_string()
    };
    let prefix = cargo_target_prefix(name);
    let suffix = cc_suffix(name);
    let mut vars = Vec::new();
    if let Some(cache) = &opts.cache_dir {
        vars.push((
            "NIXCROSS_CACHE_DIR".to_string(),
            cache.display().to_string(),
        ));
    }
    if let Some(zig) = &opts.zig {
        vars.push(("NIXCROSS_ZIG".to_string(), zig.display().to_string()));
    }
    if let Some(ndk) = &opts.ndk {
        vars.push(("NIXCROSS_ANDROID_NDK".to_string(), ndk.clone()));
    }
    if let Some(sdkroot) = &opts.sdkroot {
        vars.push(("SDKROOT".to_string(), sdkroot.display().to_string()));
    }
    vars.push((format!("{prefix}LINKER"), link(Role::Linker)));
    let mut rustflags = target.rustflags.clone();
    if uses_dlltool(target) {
        rustflags.extend(["-C".to_string(), format!("dlltool={}", link(Role::Dlltool))]);
    }
    if let Some(home) = &opts.cargo_home {
        rustflags.push(format!("--remap-path-prefix={home}=/cargo"));
        // The same map for C code (__FILE__), through the wrapper's c-file-prefix-map rule.
        vars.push(("NIXCROSS_PREFIX_MAP".to_string(), format!("{home}=/cargo")));
    }
    if !rustflags.is_empty() {
        vars.push((format!("{prefix}RUSTFLAGS"), rustflags.join(" ")));
    }
    if let Some(runner) = &opts.runner {
        vars.push((format!("{prefix}RUNNER"), runner.clone()));
    }
    for (var, role) in [
        ("CC", Role::Cc),
        ("CXX", Role::Cxx),
        ("AR", Role::Ar),
        ("RANLIB", Role::Ranlib),
    ] {
        vars.push((format!("{var}_{suffix}"), link(role)));
    }
    // Build scripts' own tools (buildtools.rs): the cmake crate reads
    // CMAKE_TOOLCHAIN_FILE_<target>, the pkg-config crate PKG_CONFIG_<target>, bindgen
    // BINDGEN_EXTRA_CLANG_ARGS_<target> (each before its generic variable).
    let bt = BuildToolsTable::load();
    let bt = bt.target(name);
    vars.push((
        format!("CMAKE_TOOLCHAIN_FILE_{suffix}"),
        opts.links_dir
            .join(buildtools::toolchain_file_name(name))
            .display()
            .to_string(),
    ));
    vars.push((format!("PKG_CONFIG_{suffix}"), link(Role::PkgConfig)));
    let headers = match (&opts.zig_lib, &opts.ndk) {
        (Some(lib), _) => Some(Headers::Zig(lib)),
        (None, Some(ndk)) => Some(Headers::Ndk(ndk)),
        (None, None) => None,
    };
    if let Some(headers) = headers {
        let api = opts.android_api.or(target.android_api).unwrap_or(21);
        let clang = buildtools::clang_target(target, bt, opts.macos_version.as_deref(), api);
        vars.push((
            format!("BINDGEN_EXTRA_CLANG_ARGS_{suffix}"),
            buildtools::bindgen_args(bt, &clang, headers),
        ));
    }
    Ok(vars)
}

/// Creates (or repairs) the argv[0] links for `target` in `dir`, pointing at `exe`.
pub fn ensure_links(table: &Table, target: &str, dir: &Path, exe: &Path) -> Result<(), Error> {
    let t = table.target(target)?;
    let io = |what: String| move |source| Error::Io { what, source };
    fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
    if let Some(empty) = &t.empty_sdkroot {
        let sdk = dir.join(empty);
        fs::create_dir_all(&sdk).map_err(io(format!("creating {}", sdk.display())))?;
    }
    for role in roles_for(table, t) {
        let link = dir.join(link_name(target, role));
        match fs::read_link(&link) {
            Ok(p) if p == exe => continue,
            // Our own link to another nixcross (an older one): replaced below.
            Ok(p) if p.file_name().is_some_and(|f| f == "nixcross") => {}
            Ok(p) => {
                return Err(Error::Usage(format!(
                    "{} is a link to {}, not to nixcross: not replacing it; remove it or choose another directory",
                    link.display(),
                    p.display()
                )))
            }
            Err(_) if fs::symlink_metadata(&link).is_ok() => {
                return Err(Error::Usage(format!(
                    "{} exists and is not a link nixcross made: not replacing it; remove it or choose another directory",
                    link.display()
                )))
            }
            Err(_) => {}
        }
        // Atomic replace, so parallel `env` calls never leave a half-made link.
        let tmp = dir.join(format!(
            ".{}.{}",
            link_name(target, role),
            std::process::id()
        ));
        let _ = fs::remove_file(&tmp);
        std::os::unix::fs::symlink(exe, &tmp).map_err(io(format!("creating {}", tmp.display())))?;
        fs::rename(&tmp, &link).map_err(io(format!("creating {}", link.display())))?;
    }
    write_toolchain_file(table, target, dir)
}

/// The target's CMake toolchain file (and the empty find root it names), rewritten when
/// its content is not the current one; a file nixcross did not write is left alone.
fn write_toolchain_file(table: &Table, target: &str, dir: &Path) -> Result<(), Error> {
    let io = |what: String| move |source| Error::Io { what, source };
    let root = dir.join(format!("nixcross-{target}-sysroot"));
    fs::create_dir_all(&root).map_err(io(format!("creating {}", root.display())))?;
    let bt = BuildToolsTable::load();
    let text = buildtools::cmake_toolchain(target, table.target(target)?, bt.target(target), dir);
    let path = dir.join(buildtools::toolchain_file_name(target));
    match fs::read_to_string(&path) {
        Ok(old) if old == text => return Ok(()),
        Ok(old) if !old.starts_with(buildtools::TOOLCHAIN_MARKER) => {
            return Err(Error::Usage(format!(
                "{} exists and is not a toolchain file nixcross wrote: not replacing it; remove it or choose another directory",
                path.display()
            )))
        }
        _ => {}
    }
    let tmp = dir.join(format!(
        ".{}.{}",
        buildtools::toolchain_file_name(target),
        std::process::id()
    ));
    fs::write(&tmp, text).map_err(io(format!("writing {}", tmp.display())))?;
    fs::rename(&tmp, &path).map_err(io(format!("writing {}", path.display())))
}

pub fn find_runner(target: &Target, env: Env) -> Option<String> {
    let runner = target.runner.as_ref()?;
    let path = env("PATH").unwrap_or_default();
    runner.programs.iter().find_map(|p| {
        std::env::split_paths(&path)
            .map(|d| d.join(p))
            .find(|c| c.is_file())
            .map(|c| c.display().to_string())
    })
}

/// What the links point at: `nixcross-wrap` next to the running nixcross (the small
/// hot-path program, so each compiler and linker call loads less), or nixcross itself
/// when it is alone (it acts as a link too).
pub fn link_destination() -> Result<PathBuf, Error> {
    let exe = std::env::current_exe()
        .and_then(fs::canonicalize)
        .map_err(|source| Error::Io {
            what: "finding the nixcross executable".into(),
            source,
        })?;
    let wrap = exe.with_file_name("nixcross-wrap");
    let executable = fs::metadata(&wrap).is_ok_and(|m| {
        use std::os::unix::fs::PermissionsExt;
        m.is_file() && m.permissions().mode() & 0o111 != 0
    });
    Ok(if executable { wrap } else { exe })
}

/// Everything `nixcross env` prints, with the warnings it writes to stderr.
pub fn resolve(
    table: &Table,
    name: &str,
    links_dir: Option<PathBuf>,
    env: Env,
) -> Result<(Vars, Vec<String>), Error> {
    let target = table.target(name)?;
    let mut warnings = Vec::new();
    let (zig, ndk) = match target.linker {
        LinkerKind::NdkClang => {
            let ndk = wrap::ndk_root(env).ok_or_else(|| Error::NdkNotFound {
                target: name.into(),
            })?;
            (None, Some(ndk))
        }
        _ => (Some(wrap::find_zig(env)?), None),
    };
    let exe = link_destination()?;
    let roles = roles_for(table, target);
    let (links_dir, owned) = match links_dir {
        // cargo runs the linker from other directories: every path printed is absolute.
        Some(d) => (nixcross::hot::cache::absolute(&d)?, false),
        None => {
            let installed = exe.parent().map(|b| b.join("../libexec/nixcross"));
            match installed.filter(|d| d.join(link_name(name, Role::Linker)).exists()) {
                Some(d) => (d, false),
                None => (
                    nixcross::hot::cache::cache_dir(env)?.join("nixcross/bin"),
                    true,
                ),
            }
        }
    };
    if links_dir.to_string_lossy().contains(char::is_whitespace) {
        return Err(Error::Usage(format!(
            "the links directory {} contains white space, which cargo's RUSTFLAGS splitting cannot carry; pass --links-dir with a path without spaces",
            links_dir.display()
        )));
    }
    // Links in our own cache always follow the running executable; links in a directory
    // the user named (or an installed package) are only created where missing.
    let empty_sdkroot = target.empty_sdkroot.as_ref().map(|e| links_dir.join(e));
    if owned
        || !roles
            .iter()
            .all(|r| links_dir.join(link_name(name, *r)).exists())
        || empty_sdkroot.as_ref().is_some_and(|d| !d.is_dir())
        || !links_dir
            .join(buildtools::toolchain_file_name(name))
            .is_file()
    {
        ensure_links(table, name, &links_dir, &exe)?;
    }
    // A real SDK the user named wins over the empty one.
    let sdkroot = empty_sdkroot.filter(|_| env("SDKROOT").is_none_or(|v| v.is_empty()));
    let runner = find_runner(target, env);
    if let (None, Some(r)) = (&runner, &target.runner) {
        warnings.push(format!(
            "no runner for {name} on PATH (looked for {}): cargo test/run will not work; install it (nixpkgs: {})",
            r.programs.join(", "),
            r.nix_package
        ));
    }
    // CARGO_HOME set but empty turns the remap off (the Nix layer remaps its vendored
    // sources itself); unset means cargo's default, ~/.cargo.
    let cargo_home = match env("CARGO_HOME") {
        Some(h) if h.is_empty() => None,
        Some(h) => Some(h),
        None => env("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| format!("{}/.cargo", h.trim_end_matches('/'))),
    };
    let cargo_home = match cargo_home {
        Some(h) if h.contains(char::is_whitespace) => {
            warnings.push(format!(
                "CARGO_HOME {h} contains white space, which RUSTFLAGS cannot carry: dependency paths under it stay in the outputs (nixcross check will report them)"
            ));
            None
        }
        other => other.map(|h| h.trim_end_matches('/').to_string()),
    };
    let zig_lib = match &zig {
        Some(z) => {
            let lib = buildtools::zig_lib_dir(z, env("ZIG_LIB_DIR").as_deref());
            if lib.is_none() {
                warnings.push(format!(
                    "zig's lib directory was not found next to {} (no lib/std/std.zig): bindgen gets no target headers; set ZIG_LIB_DIR",
                    z.display()
                ));
            }
            lib
        }
        None => None,
    };
    let android_api = match env("NIXCROSS_ANDROID_API").filter(|s| !s.is_empty()) {
        Some(s) if target.os == "android" => Some(s.trim().parse::<u32>().map_err(|_| {
            Error::Usage(format!(
                "NIXCROSS_ANDROID_API='{s}' is not an API level; set a number such as 21 or 30, or unset it for the table's {}",
                target.android_api.unwrap_or(21)
            ))
        })?),
        _ => None,
    };
    let macos_version = match env("MACOSX_DEPLOYMENT_TARGET").filter(|s| !s.is_empty()) {
        Some(v) if target.os == "macos" => {
            let zt = nixcross::hot::table::zig_target_for(target, Some(&v))?;
            zt.split_once("macos.").map(|(_, v)| v.to_string())
        }
        _ => None,
    };
    let bt = BuildToolsTable::load();
    warnings.extend(buildtools::missing_tool_hints(
        &bt,
        name,
        &env("PATH").unwrap_or_default(),
        env("LIBCLANG_PATH").as_deref(),
    ));
    let vars = variables(
        table,
        name,
        &EnvOptions {
            links_dir: &links_dir,
            cache_dir: env("NIXCROSS_CACHE_DIR")
                .filter(|d| !d.is_empty())
                .map(|d| nixcross::hot::cache::absolute(Path::new(&d)))
                .transpose()?,
            runner,
            zig,
            ndk,
            sdkroot,
            cargo_home,
            zig_lib,
            android_api,
            macos_version,
        },
    )?;
    Ok((vars, warnings))
}

pub fn render(vars: &[(String, String)], shell: &str) -> Result<String, Error> {
    let sq = |v: &str| format!("'{}'", v.replace('\'', "'\\''"));
    Ok(match shell {
        "sh" | "bash" | "zsh" => vars
            .iter()
            .map(|(k, v)| format!("export {k}={}\n", sq(v)))
            .collect(),
        "fish" => vars
            .iter()
            .map(|(k, v)| {
                format!(
                    "set -gx {k} '{}'\n",
                    v.replace('\\', "\\\\").replace('\'', "\\'")
                )
            })
            .collect(),
        "json" => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect();
            format!("{}\n", serde_json::Value::Object(map))
        }
        other => {
            return Err(Error::Usage(format!(
                "unknown shell '{other}': use sh, fish or json"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use nixcross::hot::table::parse_link_name;

    #[test]
    fn windows_env_sets_linker_cc_ar_and_dlltool() {
        let t = Table::load();
        let opts = EnvOptions {
            links_dir: Path::new("/l"),
            cache_dir: None,
            runner: Some("/usr/bin/wine".into()),
            zig: Some("/z/zig".into()),
            ndk: None,
            sdkroot: None,
            cargo_home: None,
            zig_lib: None,
            android_api: None,
            macos_version: None,
        };
        let vars = variables(&t, "x86_64-pc-windows-gnu", &opts).unwrap();
        let get = |k: &str| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(
            get("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER"),
            Some("/l/nixcross-x86_64-pc-windows-gnu-linker")
        );
        assert_eq!(
            get("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUSTFLAGS"),
            Some("-C target-feature=+crt-static -C dlltool=/l/nixcross-x86_64-pc-windows-gnu-dlltool")
        );
        assert_eq!(
            get("CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER"),
            Some("/usr/bin/wine")
        );
        assert_eq!(
            get("CC_x86_64_pc_windows_gnu"),
            Some("/l/nixcross-x86_64-pc-windows-gnu-cc")
        );
        assert_eq!(
            get("CXX_x86_64_pc_windows_gnu"),
            Some("/l/nixcross-x86_64-pc-windows-gnu-c++")
        );
        assert_eq!(
            get("AR_x86_64_pc_windows_gnu"),
            Some("/l/nixcross-x86_64-pc-windows-gnu-ar")
        );
        assert_eq!(
            get("RANLIB_x86_64_pc_windows_gnu"),
            Some("/l/nixcross-x86_64-pc-windows-gnu-ranlib")
        );
        assert_eq!(get("NIXCROSS_ZIG"), Some("/z/zig"));
    }

    #[test]
    fn android_env_points_at_the_wrapper_and_names_the_ndk() {
        let t = Table::load();
        let opts = EnvOptions {
            links_dir: Path::new("/l"),
            cache_dir: None,
            runner: None,
            zig: None,
            ndk: Some("/ndk".into()),
            sdkroot: None,
            cargo_home: None,
            zig_lib: None,
            android_api: None,
            macos_version: None,
        };
        let vars = variables(&t, "aarch64-linux-android", &opts).unwrap();
        assert_eq!(
            vars,
            [
                ("NIXCROSS_ANDROID_NDK", "/ndk"),
                (
                    "CARGO_TARGET_AARCH64_LINUX_ANDROID_LINKER",
                    "/l/nixcross-aarch64-linux-android-linker"
                ),
                // 16 KB pages for Android 15+ devices (and Google Play).
                (
                    "CARGO_TARGET_AARCH64_LINUX_ANDROID_RUSTFLAGS",
                    "-C link-arg=-Wl,-z,max-page-size=16384"
                ),
                (
                    "CC_aarch64_linux_android",
                    "/l/nixcross-aarch64-linux-android-cc"
                ),
                (
                    "CXX_aarch64_linux_android",
                    "/l/nixcross-aarch64-linux-android-c++"
                ),
                (
                    "AR_aarch64_linux_android",
                    "/l/nixcross-aarch64-linux-android-ar"
                ),
                (
                    "RANLIB_aarch64_linux_android",
                    "/l/nixcross-aarch64-linux-android-ranlib"
                ),
                // Build scripts' tools: CMake through the NDK's toolchain file, the
                // pkg-config guard, bindgen parsing with the NDK's sysroot at API 21.
                (
                    "CMAKE_TOOLCHAIN_FILE_aarch64_linux_android",
                    "/l/nixcross-aarch64-linux-android.cmake"
                ),
                (
                    "PKG_CONFIG_aarch64_linux_android",
                    "/l/nixcross-aarch64-linux-android-pkg-config"
                ),
                (
                    "BINDGEN_EXTRA_CLANG_ARGS_aarch64_linux_android",
                    "--target=aarch64-linux-android21 --sysroot=/ndk/toolchains/llvm/prebuilt/linux-x86_64/sysroot"
                ),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }

    #[test]
    fn link_names_round_trip_and_never_look_like_ld_or_gcc() {
        let t = Table::load();
        for (name, target) in &t.targets {
            for role in roles_for(&t, target) {
                let link = link_name(name, role);
                assert_eq!(parse_link_name(&link), Some((name.as_str(), role)));
                for bad in ["-ld", "-gcc", "-clang", "-g++", "-clang++"] {
                    assert!(
                        !link.ends_with(bad),
                        "{link}: rustc would infer a different linker flavor"
                    );
                }
            }
        }
        assert_eq!(
            parse_link_name("nixcross-riscv64-unknown-linux-gnu-cc"),
            None
        );
        assert_eq!(parse_link_name("nixcross-x86_64-pc-windows-gnu-as"), None);
    }

    #[test]
    fn only_windows_targets_get_a_dlltool() {
        let t = Table::load();
        for (name, target) in &t.targets {
            assert_eq!(
                roles_for(&t, target).contains(&Role::Dlltool),
                target.os == "windows",
                "{name}"
            );
        }
    }

    #[test]
    fn only_macos_targets_have_an_empty_sdkroot() {
        let t = Table::load();
        for (name, target) in &t.targets {
            assert_eq!(
                target.empty_sdkroot.is_some(),
                target.os == "macos",
                "{name}"
            );
        }
    }

    /// rustc (link.rs, get_apple_sdk_root) runs `xcrun --sdk macosx --show-sdk-path`
    /// unless SDKROOT names an existing absolute directory, and warns on every link when
    /// xcrun is missing. For the cc flavor it passes SDKROOT on in the linker's
    /// environment only (no -isysroot), and zig links with its own libSystem stubs.
    #[test]
    fn macos_env_points_sdkroot_at_an_existing_empty_directory_unless_the_user_has_one() {
        let t = Table::load();
        let links = tempfile::tempdir().unwrap();
        let zig = std::env::current_exe().unwrap().display().to_string();
        let resolve_with = |sdkroot: Option<&str>| {
            let env = |k: &str| match k {
                "NIXCROSS_ZIG" => Some(zig.clone()),
                "SDKROOT" => sdkroot.map(str::to_string),
                _ => None,
            };
            let (vars, _) = resolve(
                &t,
                "aarch64-apple-darwin",
                Some(links.path().to_path_buf()),
                &env,
            )
            .unwrap();
            vars.into_iter()
                .find(|(k, _)| k == "SDKROOT")
                .map(|(_, v)| v)
        };
        let ours = links.path().join("empty-macos-sdk");
        assert_eq!(resolve_with(None), Some(ours.display().to_string()));
        assert!(ours.is_dir() && ours.is_absolute());
        assert_eq!(fs::read_dir(&ours).unwrap().count(), 0);
        assert_eq!(resolve_with(Some("")), Some(ours.display().to_string()));
        assert_eq!(resolve_with(Some("/opt/MacOSX14.sdk")), None);
        let linux = variables(
            &t,
            "x86_64-unknown-linux-musl",
            &EnvOptions {
                links_dir: links.path(),
                cache_dir: None,
                runner: None,
                zig: None,
                ndk: None,
                sdkroot: None,
                cargo_home: None,
                zig_lib: None,
                android_api: None,
                macos_version: None,
            },
        )
        .unwrap();
        assert!(linux.iter().all(|(k, _)| k != "SDKROOT"));
    }

    #[test]
    fn sh_rendering_quotes_values() {
        let out = render(&[("A".into(), "it's here".into())], "sh").unwrap();
        assert_eq!(out, "export A='it'\\''s here'\n");
        assert!(render(&[], "tcsh")
            .unwrap_err()
            .to_string()
            .contains("sh, fish or json"));
    }
}
