//! nixcross-nixfmt: formats the repository's Nix files with alejandra's rules, or with
//! `--check` only says which would change (exit 1). It is the flake's `formatter`, so
//! `nix fmt` and tests/run.sh run the very same code; nixfmt itself (Haskell) cannot be
//! installed on the machines the tests run on.
//!
//!     nixcross-nixfmt [--check] [PATH...]      (default: the current directory)

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Directories never walked: build outputs and VCS data.
const SKIP_DIRS: &[&str] = &[".git", "target", "result", ".direnv"];

fn nix_files(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.is_file() {
        if path.extension().is_some_and(|e| e == "nix") {
            out.push(path.to_path_buf());
        }
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if p.is_dir() && (SKIP_DIRS.contains(&name.as_str()) || name.starts_with("result")) {
            continue;
        }
        if p.is_dir() || p.extension().is_some_and(|e| e == "nix") {
            nix_files(&p, out)?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut check = false;
    let mut paths = Vec::new();
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--check" | "-c" => check = true,
            "--help" | "-h" => {
                println!("usage: nixcross-nixfmt [--check] [PATH...]");
                return ExitCode::SUCCESS;
            }
            "--" => {}
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let mut files = Vec::new();
    for p in &paths {
        if let Err(e) = nix_files(p, &mut files) {
            eprintln!("nixcross-nixfmt: {}: {e}", p.display());
            return ExitCode::from(2);
        }
    }
    let (mut changed, mut errors) = (Vec::new(), 0);
    for f in &files {
        let before = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("nixcross-nixfmt: {}: {e}", f.display());
                errors += 1;
                continue;
            }
        };
        let (status, after) = alejandra::format::in_memory(f.display().to_string(), before.clone());
        match status {
            alejandra::format::Status::Error(e) => {
                eprintln!("nixcross-nixfmt: {}: cannot parse: {e}", f.display());
                errors += 1;
            }
            alejandra::format::Status::Changed(false) => {}
            alejandra::format::Status::Changed(true) => {
                changed.push(f.clone());
                if !check {
                    if let Err(e) = std::fs::write(f, after) {
                        eprintln!("nixcross-nixfmt: writing {}: {e}", f.display());
                        errors += 1;
                    }
                }
            }
        }
    }
    for f in &changed {
        println!(
            "{}: {}",
            if check { "not formatted" } else { "formatted" },
            f.display()
        );
    }
    println!(
        "nixcross-nixfmt: {} files, {} {}",
        files.len(),
        changed.len(),
        if check { "not formatted" } else { "formatted" }
    );
    if errors > 0 {
        ExitCode::from(2)
    } else if check && !changed.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
