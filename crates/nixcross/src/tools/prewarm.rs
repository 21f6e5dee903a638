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
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::envcmd;
use nixcross::error::{io, Error};
use nixcross::hot::seed::marker;
use nixcross::hot::table::{LinkerKind, Table};

const PREWARM_MAIN: &str = "fn main() {\n    println!(\"nixcross prewarm\");\n}\n";

/// The throw-away cargo project in $TMPDIR, removed however prewarm ends (a cargo that
/// cannot start or fails returns early with `?`).
struct WorkDir(PathBuf);

impl WorkDir {
    fn create(path: PathBuf) -> Result<WorkDir, Error> {
        // A directory of this name left by a killed earlier run with this pid.
        let _ = fs::remove_dir_all(&path);
        let dir = WorkDir(path);
        fs::create_dir_all(dir.0.join("src"))
            .map_err(io(format!("creating {}", dir.0.display())))?;
        Ok(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

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
    let cargo = env("CARGO")
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "cargo".into());
    let guard = WorkDir::create(
        std::env::temp_dir().join(format!("nixcross-prewarm-{}-{target}", std::process::id())),
    )?;
    let work = guard.path();
    fs::write(
        work.join("Cargo.toml"),
        "[package]\nname = \"nixcross-prewarm\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .map_err(io(format!("writing {}", work.display())))?;
    fs::write(work.join("src/main.rs"), PREWARM_MAIN)
        .map_err(io(format!("writing {}", work.display())))?;
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
        .current_dir(work)
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
