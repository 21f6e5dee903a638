//! nixcross: the linker / C compiler / ar / dlltool that rustc and cc-rs call when
//! cross-compiling, plus `targets`, `env` and `check` for people and for the Nix layer.
//!
//! Called as `nixcross-<target>-<role>` (a symlink), it acts as that tool at once,
//! without parsing its arguments: they belong to the compiler or linker.

mod tools;

use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use hot::rules::Role;
use hot::table::{self, Table};
use hot::{cache, wrap};
use nixcross::error::{self, Error};
use nixcross::hot;
use tools::{archive, bundle, envcmd, inspect, leaks, prewarm, universal};

#[derive(Parser)]
#[command(
    name = "nixcross",
    version,
    about = "Cross-compile Rust with zig cc as linker and C compiler"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the supported targets and how each is linked.
    Targets {
        /// Print the whole target table (the file the Nix layer reads).
        #[arg(long)]
        json: bool,
    },
    /// Print shell exports that make `cargo build --target T` use nixcross.
    Env {
        #[arg(long)]
        target: String,
        #[arg(long, value_enum, default_value_t = ShellArg::Sh)]
        shell: ShellArg,
        /// Where to put the nixcross-<target>-<role> links (default: next to an
        /// installed nixcross, else in the cache directory).
        #[arg(long)]
        links_dir: Option<PathBuf>,
    },
    /// Create the nixcross-<target>-<role> links in DIR (for packaging: the Nix
    /// package puts them in libexec/nixcross, where `env` finds them).
    Links {
        #[arg(long)]
        dir: PathBuf,
        /// Targets to make links for (default: all).
        #[arg(long = "target")]
        targets: Vec<String>,
    },
    /// Act as one tool for one target: nixcross run --target T --role linker -- ARGS.
    Run {
        #[arg(long)]
        target: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Passed on as given, UTF-8 or not.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<OsString>,
    },
    /// Pack every target's binaries into a release directory: one .tar.gz (.zip for
    /// Windows) per target, SHA256SUMS and manifest.json. Every binary is checked first.
    Bundle {
        /// Release name (the crate's): files are <name>-<version>-<target>.<ext>.
        #[arg(long)]
        name: String,
        #[arg(long)]
        version: String,
        /// Directory to write (created; must not hold files yet).
        #[arg(long)]
        out: PathBuf,
        /// A file added to every archive (README, LICENSE); repeatable.
        #[arg(long = "include")]
        includes: Vec<PathBuf>,
        /// Time stamped on archive entries (default: $SOURCE_DATE_EPOCH, else 1980-01-01).
        #[arg(long)]
        mtime: Option<u64>,
        /// TARGET=DIR, one per target: DIR holds that target's binaries (its bin/).
        #[arg(required = true)]
        inputs: Vec<String>,
    },
    /// Merge the x86_64 and arm64 macOS builds into universal binaries, paired by name:
    /// nixcross universal2 --out OUT x86_64-apple-darwin=PATH aarch64-apple-darwin=PATH
    /// (PATHs are both binaries or both directories).
    Universal2 {
        #[arg(long)]
        out: PathBuf,
        /// TARGET=PATH for each slice.
        #[arg(required = true)]
        inputs: Vec<String>,
    },
    /// Build zig's libc for TARGET once into DIR, by linking a std-only program with
    /// cargo; then NIXCROSS_PREWARMED_CACHE=DIR makes builds copy it instead of
    /// compiling it again on their first link.
    Prewarm {
        #[arg(long)]
        target: String,
        #[arg(long)]
        out: PathBuf,
        /// Cargo profiles whose links to prepare (repeatable).
        #[arg(long = "profile", default_values_t = ["release".to_string()])]
        profiles: Vec<String>,
    },
    /// Remove references to store paths from built files (their hash becomes eeee…, as
    /// nixpkgs' remove-references-to does), renewing an ad-hoc Mach-O signature.
    Scrub {
        /// A store path (/nix/store/<hash>-name) the files must not refer to; repeatable.
        #[arg(long = "store-path", required = true)]
        store_paths: Vec<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Check built programs and libraries against their platform's contract: format,
    /// architecture, linkage, libraries loaded, code signature, library names and
    /// exports, Android's 16 KB alignment, and no build-machine paths ($HOME,
    /// CARGO_HOME, --forbid-path, unscrubbed /nix/store paths).
    Check {
        #[arg(long)]
        target: String,
        /// Another build-machine path the files must not contain (the build directory).
        #[arg(long = "forbid-path")]
        forbid_paths: Vec<String>,
        /// A path prefix the files may contain after all (an upstream crate's intended one).
        #[arg(long = "allow-path")]
        allow_paths: Vec<String>,
        /// The install name a dylib must have, when you set one on purpose (default
        /// @rpath/<file name>, rustc's for a cdylib).
        #[arg(long)]
        install_name: Option<String>,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// The output syntax of `nixcross env`.
#[derive(Clone, Copy, ValueEnum)]
enum ShellArg {
    /// POSIX sh (also bash and zsh): export K='v'
    Sh,
    Fish,
    /// One JSON object (what the Nix tests compare)
    Json,
}

/// The tool `nixcross run` stands in for.
#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Cc,
    #[value(name = "c++")]
    Cxx,
    Linker,
    Ar,
    Ranlib,
    Dlltool,
    #[value(name = "pkg-config")]
    PkgConfig,
}

impl RoleArg {
    fn role(self) -> Role {
        match self {
            RoleArg::Cc => Role::Cc,
            RoleArg::Cxx => Role::Cxx,
            RoleArg::Linker => Role::Linker,
            RoleArg::Ar => Role::Ar,
            RoleArg::Ranlib => Role::Ranlib,
            RoleArg::Dlltool => Role::Dlltool,
            RoleArg::PkgConfig => Role::PkgConfig,
        }
    }
}

fn main() -> ExitCode {
    // Arguments are passed on as the system gave them, UTF-8 or not (see hot::osargs).
    let argv: Vec<OsString> = std::env::args_os().collect();
    let argv0 = argv
        .first()
        .map(|a| a.to_string_lossy())
        .unwrap_or_default();
    let argv0 = argv0.rsplit('/').next().unwrap_or_default();
    let result = match table::parse_link_name(argv0) {
        // The hot path: only this target's part of the table is built.
        Some((target, role)) => {
            let table = Table::load_for(target).expect("parse_link_name knows only table targets");
            wrap::act_as(&table, target, role, argv[1..].to_vec(), &wrap::process_env)
        }
        None if argv0.starts_with("nixcross-") => Err(error::Error::Usage(format!(
            "called as '{argv0}', which names no target and role nixcross knows (nixcross-<target>-<role>, roles cc, c++, linker, ar, ranlib, dlltool, pkg-config; 'nixcross targets' lists the targets); make the links with 'nixcross links --dir DIR'"
        ))),
        None => {
            // Tool output piped into `head` ends quietly, as other Unix tools do.
            // SAFETY: restores the default SIGPIPE action before any output.
            unsafe {
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            }
            subcommand(&Table::load(), Cli::parse_from(&argv))
        }
    };
    match result {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("nixcross: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn subcommand(table: &Table, cli: Cli) -> Result<i32, Error> {
    match cli.command {
        Command::Targets { json: true } => {
            print!("{}", table::TABLE_JSON);
            Ok(0)
        }
        Command::Targets { json: false } => {
            println!(
                "{:<28} {:<10} {:<20} {:<12} output",
                "target", "linker", "zig target", "runner"
            );
            for (name, t) in &table.targets {
                let linker = match t.linker {
                    table::LinkerKind::Zig => "zig",
                    table::LinkerKind::ZigLld => "zig+lld",
                    table::LinkerKind::NdkClang => "ndk-clang",
                };
                let runner = t
                    .runner
                    .as_ref()
                    .map(|r| r.programs[0].as_str())
                    .unwrap_or("-");
                let kind = if t.output.is_static {
                    "static"
                } else {
                    "dynamic"
                };
                println!(
                    "{name:<28} {linker:<10} {:<20} {runner:<12} {} {} {kind}",
                    t.zig_target.as_deref().unwrap_or("-"),
                    t.output.format,
                    t.output.arch
                );
            }
            for (name, u) in &table.universal {
                println!(
                    "{name:<28} {:<10} {:<20} {:<12} merged from {} ({})",
                    "universal2",
                    "-",
                    "-",
                    u.slices.join(" + "),
                    u.os
                );
            }
            Ok(0)
        }
        Command::Env {
            target,
            shell,
            links_dir,
        } => {
            let (vars, warnings) = envcmd::resolve(table, &target, links_dir, &wrap::process_env)?;
            for w in warnings {
                eprintln!("nixcross: warning: {w}");
            }
            let shell = match shell {
                ShellArg::Sh => "sh",
                ShellArg::Fish => "fish",
                ShellArg::Json => "json",
            };
            print!("{}", envcmd::render(&vars, shell)?);
            Ok(0)
        }
        Command::Links { dir, targets } => {
            let dir = cache::absolute(&dir)?;
            let exe = envcmd::link_destination()?;
            let targets = if targets.is_empty() {
                table.targets.keys().cloned().collect()
            } else {
                targets
            };
            for t in &targets {
                envcmd::ensure_links(table, t, &dir, &exe)?;
            }
            Ok(0)
        }
        Command::Run { target, role, args } => {
            wrap::act_as(table, &target, role.role(), args, &wrap::process_env)
        }
        Command::Bundle {
            name,
            version,
            out,
            includes,
            mtime,
            inputs,
        } => {
            let mtime = match (mtime, wrap::process_env("SOURCE_DATE_EPOCH")) {
                (Some(t), _) => t,
                (None, Some(s)) if !s.is_empty() => s.trim().parse().map_err(|_| {
                    Error::Usage(format!(
                        "SOURCE_DATE_EPOCH='{s}' is not a number of seconds since 1970"
                    ))
                })?,
                _ => archive::DEFAULT_MTIME,
            };
            let request = bundle::Request {
                name,
                version,
                out,
                inputs: inputs
                    .iter()
                    .map(|i| bundle::parse_input(i))
                    .collect::<Result<_, _>>()?,
                includes,
                mtime,
            };
            let manifest = bundle::bundle(
                table,
                &inspect::Policy::from_env(&wrap::process_env),
                &request,
            )?;
            for a in &manifest.artifacts {
                println!(
                    "{}  {}  {} bytes{}",
                    a.sha256,
                    request.out.join(&a.file).display(),
                    a.size,
                    if a.is_static { ", static" } else { "" }
                );
            }
            Ok(0)
        }
        Command::Universal2 { out, inputs } => {
            let inputs: Vec<_> = inputs
                .iter()
                .map(|i| bundle::parse_input(i))
                .collect::<Result<_, _>>()?;
            for (path, report) in universal::universal(
                table,
                &inspect::Policy::from_env(&wrap::process_env),
                "universal2-apple-darwin",
                &inputs,
                &out,
            )? {
                println!("ok: {}: {}", path.display(), report.summary());
            }
            Ok(0)
        }
        Command::Prewarm {
            target,
            out,
            profiles,
        } => {
            prewarm::prewarm(table, &target, &out, &profiles, &wrap::process_env)?;
            Ok(0)
        }
        Command::Scrub { store_paths, files } => {
            for (file, s) in tools::scrub::scrub_files(&files, &store_paths)? {
                if s.replaced > 0 {
                    println!(
                        "scrubbed: {file}: {} reference{}{}",
                        s.replaced,
                        if s.replaced == 1 { "" } else { "s" },
                        if s.resealed_pages > 0 {
                            format!(", {} signed pages re-hashed", s.resealed_pages)
                        } else {
                            String::new()
                        }
                    );
                }
            }
            Ok(0)
        }
        Command::Check {
            target,
            forbid_paths,
            allow_paths,
            install_name,
            files,
        } => {
            table.kind(&target)?;
            let mut policy = inspect::Policy::from_env(&wrap::process_env);
            policy.paths =
                leaks::PathPolicy::from_env(&wrap::process_env, &forbid_paths, &allow_paths);
            policy.install_name = install_name;
            let mut failed = 0;
            for f in &files {
                let data = std::fs::read(f).map_err(|source| Error::Io {
                    what: format!("reading {}", f.display()),
                    source,
                })?;
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy())
                    .unwrap_or_default();
                let report = inspect::inspect_for(table, &target, &name, &data, &policy)?;
                if report.problems.is_empty() {
                    println!("ok: {}: {}", f.display(), report.summary());
                } else {
                    failed += 1;
                    for p in &report.problems {
                        println!("FAIL: {}: {p}", f.display());
                    }
                }
            }
            if failed > 0 {
                return Err(Error::Check(format!(
                    "{failed} of {} files failed the checks for {target}",
                    files.len()
                )));
            }
            Ok(0)
        }
    }
}
