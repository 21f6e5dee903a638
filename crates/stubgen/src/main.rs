//! nixcross-stubgen: writes nixcross's macOS link-time stubs from the `extern` blocks of
//! pinned crates (crates/nixcross/stubs/darwin/sources.json), or checks that the
//! committed stubs are exactly what it writes (`--check`, run by tests/run.sh).
//!
//! A maintainer's tool: nothing here runs when rustc or cc-rs call nixcross.

mod cfg;
mod fetch;
mod generate;
mod imports;
mod scan;
mod sources;
mod tbd;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

const STUBS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../nixcross/stubs/darwin");

#[derive(Parser)]
#[command(
    name = "nixcross-stubgen",
    about = "Generate nixcross's macOS link-time stubs"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Write the stubs and index.rs next to sources.json (the default command).
    Generate {
        /// Compare with the files on disk instead of writing; exit 1 if they differ.
        #[arg(long)]
        check: bool,
        /// The stubs directory (holds sources.json).
        #[arg(long, default_value = STUBS_DIR)]
        dir: PathBuf,
        /// Where downloaded .crate files are kept.
        #[arg(long)]
        cache: Option<PathBuf>,
    },
    /// Check that every symbol a Mach-O binary imports from a stubbed library is
    /// exported by that library's stub, for the binary's architecture.
    Imports {
        #[arg(long, default_value = STUBS_DIR)]
        dir: PathBuf,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn generated_on_disk(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "tbd") || p.ends_with("index.rs") {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel);
            }
        }
    }
    out
}

fn run_generate(check: bool, dir: &Path, cache: Option<PathBuf>) -> Result<i32, String> {
    let sources = sources::load(&dir.join("sources.json"))?;
    let cache = cache.unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/stubgen-crates")
    });
    let (files, report) = generate::generate(&sources, &cache)?;
    for line in &report.lines {
        eprintln!("stubgen: {line}");
    }
    let on_disk = generated_on_disk(dir);
    if check {
        let mut problems = Vec::new();
        for (path, text) in &files {
            match std::fs::read_to_string(dir.join(path)) {
                Ok(old) if old == *text => {}
                Ok(_) => problems.push(format!("{path} differs from what the generator writes")),
                Err(_) => problems.push(format!("{path} is missing")),
            }
        }
        for path in on_disk.iter().filter(|p| !files.contains_key(*p)) {
            problems.push(format!(
                "{path} is not generated from sources.json any more"
            ));
        }
        if problems.is_empty() {
            println!(
                "stubgen: the {} committed files are what sources.json generates",
                files.len()
            );
            return Ok(0);
        }
        for p in &problems {
            println!("stubgen: {p}");
        }
        println!("stubgen: run `cargo run -p nixcross-stubgen` and commit the result");
        return Ok(1);
    }
    for path in on_disk.iter().filter(|p| !files.contains_key(*p)) {
        std::fs::remove_file(dir.join(path)).map_err(|e| format!("removing {path}: {e}"))?;
    }
    for (path, text) in &files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("creating {}: {e}", parent.display()))?;
        }
        std::fs::write(&full, text).map_err(|e| format!("writing {}: {e}", full.display()))?;
    }
    println!(
        "stubgen: wrote {} files into {}",
        files.len(),
        dir.display()
    );
    Ok(0)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command.unwrap_or(Command::Generate {
        check: false,
        dir: PathBuf::from(STUBS_DIR),
        cache: None,
    }) {
        Command::Generate { check, dir, cache } => run_generate(check, &dir, cache),
        Command::Imports { dir, files } => imports::run(&dir, &files),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            eprintln!("stubgen: error: {e}");
            ExitCode::from(2)
        }
    }
}
