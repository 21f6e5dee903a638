//! Runs one tool call: rewrites argv with the target's rules and runs zig (or the NDK's
//! clang) with a writable cache, passing zig's exit code and stderr through untouched.

use std::ffi::OsString;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{io, Error};
use crate::hot::cache;
use crate::hot::linkreq;
use crate::hot::osargs::{self, Originals};
use crate::hot::pkgconfig;
use crate::hot::respfile;
use crate::hot::rules::{self, Fired, Role};
use crate::hot::seed;
use crate::hot::signals;
use crate::hot::stubs;
use crate::hot::table::{LinkerKind, Table, Target};

/// Above this many bytes of arguments the wrapper hands zig a response file even if it
/// was called without one (Linux limits one argument string to 128 KiB).
const RESPONSE_FILE_THRESHOLD: usize = 64 * 1024;

pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

#[derive(Debug)]
pub struct Plan {
    pub program: PathBuf,
    /// Arguments before the rewritten ones (`cc -target x86_64-windows-gnu`).
    pub prefix: Vec<String>,
    pub args: Vec<String>,
    pub fired: Vec<Fired>,
    pub cache: Option<PathBuf>,
    pub use_response_file: bool,
    /// Set for the first link of a zig target on a cold cache: zig builds libc then.
    pub cold_key: Option<String>,
    pub role: Role,
    /// The directory the link-time stubs are written to before running (see `stubs.rs`).
    pub stubs: Option<PathBuf>,
    /// NIXCROSS_PREWARMED_CACHE: copied into `cache` instead of a cold first link.
    pub seed: Option<PathBuf>,
    /// What the placeholders in `args` stand for (bytes that are not UTF-8).
    pub originals: Originals,
}

/// The process environment, as plan/execute read it (tests pass their own).
///
/// A variable nixcross reads whose value is not UTF-8 cannot be used, and taking it as
/// unset would silently use another cache, zig or log: that ends nixcross at once with
/// a one-line error, exit 2. Variables nixcross does not read are never looked at.
/// Exiting here runs no destructors, so every read happens before nixcross makes a
/// temporary file (execute and prewarm read their settings first).
pub fn process_env(key: &str) -> Option<String> {
    match std::env::var(key) {
        Ok(v) => Some(v),
        Err(std::env::VarError::NotPresent) => None,
        Err(std::env::VarError::NotUnicode(value)) => {
            let e = Error::NotUtf8Setting {
                name: key.to_string(),
                value: value.to_string_lossy().into_owned(),
            };
            eprintln!("nixcross: error: {e}");
            std::process::exit(2)
        }
    }
}

/// Acts as `role` for `target` on `args` (argv after argv[0], as the system gave them,
/// UTF-8 or not): what a `nixcross-<target>-<role>` link does.
pub fn act_as(
    table: &Table,
    target: &str,
    role: Role,
    args: Vec<OsString>,
    env: Env,
) -> Result<i32, Error> {
    let (args, originals) = osargs::split(args);
    if role == Role::PkgConfig {
        let d = pkgconfig::decide(target, &args, env)?;
        return pkgconfig::execute(d, args.iter().map(|a| originals.restore(a)).collect());
    }
    let plan = plan_with(table, target, role, args, originals, env)?;
    execute(plan, env)
}

pub fn plan(
    table: &Table,
    target_name: &str,
    role: Role,
    raw: Vec<String>,
    env: Env,
) -> Result<Plan, Error> {
    plan_with(table, target_name, role, raw, Originals::default(), env)
}

/// `plan` of arguments holding placeholders for `originals` (see `osargs`).
fn plan_with(
    table: &Table,
    target_name: &str,
    role: Role,
    raw: Vec<String>,
    originals: Originals,
    env: Env,
) -> Result<Plan, Error> {
    let target = table.target(target_name)?;
    let (args, used_rsp) = match role {
        Role::Cc | Role::Cxx | Role::Linker => respfile::expand(raw)?,
        _ => (raw, false),
    };
    let rules = table.rules_for(target);
    let mut rewritten = rules::rewrite_env(&args, &rules, role, env);
    let size: usize = rewritten
        .args
        .iter()
        .map(|a| originals.bytes(a).len() + 1)
        .sum();
    let use_response_file = used_rsp || size > RESPONSE_FILE_THRESHOLD;
    match target.linker {
        LinkerKind::Zig | LinkerKind::ZigLld => {
            let deployment = if target.os == "macos" {
                env("MACOSX_DEPLOYMENT_TARGET").filter(|s| !s.is_empty())
            } else {
                None
            };
            let zig_target = crate::hot::table::zig_target_for(target, deployment.as_deref())?;
            let zig_target = zig_target.as_ref();
            let tool = &table.zig_tools[role.name()];
            let cache = cache::cache_dir(env)?;
            let mut prefix = tool.clone();
            if matches!(role, Role::Cc | Role::Cxx | Role::Linker) {
                own_target_flag(&mut rewritten.args, zig_target, target_name, role)?;
                prefix.extend(["-target".to_string(), zig_target.to_string()]);
                darwin_sdk_args(target, role, env, &mut rewritten.args);
            }
            let mut stub_dir = None;
            if role == Role::Linker && target.link_stubs.is_some() {
                // After the SDK's -F/-L, so a real SDK's library wins over the stub.
                let dir = stubs::dir(&cache);
                rewritten.args.extend(stubs::search_args(&dir));
                let missing = linkreq::missing(&rewritten.args, &target.zig_libraries);
                if !missing.is_empty() {
                    return Err(Error::MissingLinkLibraries {
                        target: target_name.into(),
                        missing: missing.iter().map(|m| m.describe()).collect(),
                        stubbed: (
                            stubs::names(stubs::StubKind::Framework),
                            stubs::names(stubs::StubKind::Dylib),
                        ),
                        sdk: env("NIXCROSS_DARWIN_SDK").filter(|s| !s.is_empty()),
                    });
                }
                stub_dir = Some(dir);
            }
            Ok(Plan {
                program: find_zig(env)?,
                prefix,
                args: rewritten.args,
                fired: rewritten.fired,
                cache: Some(cache),
                use_response_file,
                cold_key: (role == Role::Linker).then(|| zig_target.to_string()),
                role,
                stubs: stub_dir,
                seed: env("NIXCROSS_PREWARMED_CACHE")
                    .filter(|s| !s.is_empty())
                    .map(PathBuf::from),
                originals,
            })
        }
        LinkerKind::NdkClang => {
            let tool_pattern =
                table
                    .ndk_tools
                    .get(role.name())
                    .ok_or_else(|| Error::RoleNotSupported {
                        role: role.name().into(),
                        target: target_name.into(),
                    })?;
            let api = match env("NIXCROSS_ANDROID_API").filter(|s| !s.is_empty()) {
                Some(s) => s.trim().parse::<u32>().map_err(|_| {
                    Error::Usage(format!(
                        "NIXCROSS_ANDROID_API='{s}' is not an API level; set a number such as 21 or 30, or unset it for the table's {}",
                        target.android_api.unwrap_or(21)
                    ))
                })?,
                None => target.android_api.expect("android targets have android_api"),
            };
            let tool = tool_pattern
                .replace(
                    "{triple}",
                    target
                        .ndk_triple
                        .as_deref()
                        .expect("android targets have ndk_triple"),
                )
                .replace("{api}", &api.to_string());
            let program = ndk_bin(target_name, env)?.join(tool);
            if !program.exists() {
                return Err(Error::ToolNotFound {
                    tool: program,
                    hint: format!("this NDK has no clang for API level {api}; set NIXCROSS_ANDROID_API to one it ships"),
                });
            }
            Ok(Plan {
                program,
                prefix: vec![],
                args: rewritten.args,
                fired: rewritten.fired,
                cache: None,
                use_response_file,
                cold_key: None,
                role,
                stubs: None,
                seed: None,
                originals,
            })
        }
    }
}

/// A `-target` a build system passes itself: the table's wins, so the same one is
/// dropped, and another one is an error (silently building for either target would
/// give a binary for the wrong platform).
fn own_target_flag(
    args: &mut Vec<String>,
    zig_target: &str,
    target_name: &str,
    role: Role,
) -> Result<(), Error> {
    while let Some(i) = args.iter().position(|a| a == "-target") {
        let value = args.get(i + 1).cloned().unwrap_or_default();
        if value != zig_target {
            return Err(Error::Usage(format!(
                "the caller passes -target {value}, but this is nixcross's {} for {target_name}, which compiles for {zig_target}: use the nixcross-<target>-<role> tool of the target you mean, or remove -target",
                role.name()
            )));
        }
        args.drain(i..(i + 2).min(args.len()));
    }
    Ok(())
}

/// Frameworks for macOS targets come from an SDK the user provides (zig ships none).
fn darwin_sdk_args(target: &Target, role: Role, env: Env, args: &mut Vec<String>) {
    if target.os != "macos" {
        return;
    }
    let Some(sdk) = env("NIXCROSS_DARWIN_SDK").filter(|s| !s.is_empty()) else {
        return;
    };
    args.push(format!("-F{sdk}/System/Library/Frameworks"));
    if role == Role::Linker {
        args.push(format!("-L{sdk}/usr/lib"));
    }
}

pub fn find_zig(env: Env) -> Result<PathBuf, Error> {
    if let Some(z) = env("NIXCROSS_ZIG").filter(|s| !s.is_empty()) {
        // Resolve symlinks: zig finds its lib dir relative to its real location.
        return fs::canonicalize(&z).map_err(|e| Error::ZigNotFound {
            tried: format!("NIXCROSS_ZIG={z}: {e}"),
        });
    }
    let path = env("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let candidate = dir.join("zig");
        // As a shell would: a zig that cannot be executed does not hide one further on.
        let executable = fs::metadata(&candidate).is_ok_and(|m| {
            use std::os::unix::fs::PermissionsExt;
            m.is_file() && m.permissions().mode() & 0o111 != 0
        });
        if executable {
            return fs::canonicalize(&candidate).map_err(|e| Error::ZigNotFound {
                tried: format!("{}: {e}", candidate.display()),
            });
        }
    }
    Err(Error::ZigNotFound {
        tried: "NIXCROSS_ZIG is unset and no zig on PATH".into(),
    })
}

pub fn ndk_root(env: Env) -> Option<String> {
    [
        "NIXCROSS_ANDROID_NDK",
        "ANDROID_NDK_HOME",
        "ANDROID_NDK_ROOT",
    ]
    .iter()
    .find_map(|k| env(k).filter(|s| !s.is_empty()))
}

fn ndk_bin(target: &str, env: Env) -> Result<PathBuf, Error> {
    let root = ndk_root(env).ok_or_else(|| Error::NdkNotFound {
        target: target.into(),
    })?;
    let bin = Path::new(&root).join("toolchains/llvm/prebuilt/linux-x86_64/bin");
    if !bin.is_dir() {
        return Err(Error::ToolNotFound {
            tool: bin,
            hint: "NIXCROSS_ANDROID_NDK must point at an NDK root built for linux-x86_64 hosts"
                .into(),
        });
    }
    Ok(bin)
}

/// Symlinks, without single quotes in their own path, to the paths of arguments that
/// hold one; removed with the response files after zig ran.
struct QuoteAliases {
    dir: PathBuf,
    stamp: u128,
    by_target: Vec<(String, PathBuf)>,
    links: Vec<PathBuf>,
}

impl QuoteAliases {
    fn new(cache_tmp: &Path, stamp: u128) -> QuoteAliases {
        let dir = if cache_tmp.to_string_lossy().contains('\'') {
            std::env::temp_dir()
        } else {
            cache_tmp.to_path_buf()
        };
        QuoteAliases {
            dir,
            stamp,
            by_target: vec![],
            links: vec![],
        }
    }

    /// `arg`, with the part of its path up to the last component holding a `'` replaced
    /// by a symlink to it; unchanged if it holds no `'`, is no absolute path (also after
    /// `-L`), or the link cannot be made.
    fn alias(&mut self, arg: &str) -> String {
        if !arg.contains('\'') || self.dir.to_string_lossy().contains('\'') {
            return arg.to_string();
        }
        let (flag, path) = match arg.strip_prefix("-L") {
            Some(p) => ("-L", p),
            None => ("", arg),
        };
        if !path.starts_with('/') {
            return arg.to_string();
        }
        let cut = match path.rfind('\'') {
            Some(q) => path[q..].find('/').map_or(path.len(), |i| q + i),
            None => return arg.to_string(),
        };
        let (target, rest) = path.split_at(cut);
        if !Path::new(target).exists() {
            return arg.to_string();
        }
        let link = match self.by_target.iter().find(|(t, _)| t == target) {
            Some((_, l)) => l.clone(),
            None => {
                let l = self.dir.join(format!(
                    "q-{}-{}-{}",
                    std::process::id(),
                    self.stamp,
                    self.by_target.len()
                ));
                if std::os::unix::fs::symlink(target, &l).is_err() {
                    return arg.to_string();
                }
                self.links.push(l.clone());
                self.by_target.push((target.to_string(), l.clone()));
                l
            }
        };
        format!("{flag}{}{rest}", link.display())
    }
}

/// Shell-style quoting for the printed command line.
pub fn quote(arg: &str) -> String {
    if !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b))
    {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

/// Files made for one zig run (response files, quote-alias symlinks), removed when this
/// is dropped: every return path, an error half-way through writing them included,
/// leaves none behind.
#[derive(Default)]
struct TempFiles(Vec<PathBuf>);

impl TempFiles {
    /// Registers `path` before it is created, so a half-written file is removed too.
    fn add(&mut self, path: PathBuf) {
        self.0.push(path);
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = fs::remove_file(p);
        }
    }
}

/// The directory for response files: the writable cache, also for the NDK (whose plans
/// have no zig cache).
fn response_file_dir(plan: &Plan, env: Env) -> PathBuf {
    match &plan.cache {
        Some(c) => c.join("nixcross/tmp"),
        None => cache::cache_dir(env)
            .map(|c| c.join("nixcross/tmp"))
            .unwrap_or_else(|_| std::env::temp_dir()),
    }
}

/// The arguments after the prefix when zig gets response files: the files are written
/// (and registered in `temp`) and named as `@file`.
fn response_file_args(plan: &Plan, env: Env, temp: &mut TempFiles) -> Result<Vec<OsString>, Error> {
    let dir = response_file_dir(plan, env);
    fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // zig's reader cannot carry a single quote at all. A path holding one
    // (/home/o'brien/...) is reached through a symlink without it instead, so that
    // thousands of such inputs do not all land on the command line (E2BIG).
    let mut aliases = QuoteAliases::new(&dir, nanos);
    let args: Vec<String> = match plan.cache {
        Some(_) => plan.args.iter().map(|a| aliases.alias(a)).collect(),
        None => plan.args.clone(),
    };
    for link in aliases.links {
        temp.add(link);
    }
    // Runs of encodable arguments go to response files, in order; an argument zig's
    // reader cannot carry (a single quote) goes on the command line between them.
    let mut out = Vec::new();
    let mut chunk = Vec::new();
    let mut written = 0;
    let mut flush = |chunk: &mut Vec<u8>, out: &mut Vec<OsString>| -> Result<(), Error> {
        if chunk.is_empty() {
            return Ok(());
        }
        let path = dir.join(format!("args-{}-{nanos}-{written}.rsp", std::process::id()));
        written += 1;
        temp.add(path.clone());
        fs::write(&path, std::mem::take(chunk))
            .map_err(io(format!("writing {}", path.display())))?;
        let mut at = OsString::from("@");
        at.push(&path);
        out.push(at);
        Ok(())
    };
    for a in &args {
        let bytes = plan.originals.bytes(a);
        let encoded = match plan.cache {
            Some(_) => respfile::write_zig_arg_bytes(&bytes).map(|mut e| {
                e.push(b'\n');
                e
            }),
            None => Some(respfile::write_bytes(&bytes)),
        };
        match encoded {
            Some(e) => chunk.extend_from_slice(&e),
            None => {
                flush(&mut chunk, &mut out)?;
                out.push(plan.originals.restore(a));
            }
        }
    }
    flush(&mut chunk, &mut out)?;
    Ok(out)
}

pub fn execute(plan: Plan, env: Env) -> Result<i32, Error> {
    // rustc fails a dlltool call that writes anything to stderr, so that role only logs
    // to NIXCROSS_LOG.
    let verbose = env("NIXCROSS_VERBOSE").is_some_and(|v| !v.is_empty() && v != "0")
        && plan.role != Role::Dlltool;
    // Read before any temporary file is made (see process_env).
    let log_file = env("NIXCROSS_LOG").filter(|s| !s.is_empty());
    let lock_wait = lock_wait_limit(env)?;
    if let Some(dir) = &plan.stubs {
        stubs::ensure(dir)?;
    }
    let mut temp = TempFiles::default();
    let mut final_args: Vec<OsString> = plan.prefix.iter().map(OsString::from).collect();
    if plan.use_response_file {
        final_args.extend(response_file_args(&plan, env, &mut temp)?);
    } else {
        final_args.extend(plan.args.iter().map(|a| plan.originals.restore(a)));
    }
    if verbose || log_file.is_some() {
        let mut text = String::new();
        for f in &plan.fired {
            text.push_str(&format!(
                "nixcross: rule {}: {:?} -> {:?} ({})\n",
                f.rule, f.from, f.to, f.why
            ));
        }
        let mut line = quote(&plan.program.to_string_lossy());
        for a in plan.prefix.iter().chain(&plan.args) {
            line.push(' ');
            line.push_str(&quote(&plan.originals.display(a)));
        }
        text.push_str(&format!("nixcross: {line}\n"));
        if verbose {
            eprint!("{text}");
        }
        if let Some(path) = log_file {
            // cargo hides a successful linker's stderr; a log file shows what ran. A log
            // that cannot be written must not fail the build: warn, once per cache.
            use std::io::Write;
            let written = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .and_then(|mut f| f.write_all(text.as_bytes()));
            if let Err(e) = written {
                warn_once(
                    plan.cache.as_deref(),
                    &format!("log-unwritable-{}", short_hash(&path)),
                    &format!(
                        "NIXCROSS_LOG={path} cannot be written ({e}); going on without the log"
                    ),
                );
            }
        }
    }
    let mut cmd = Command::new(&plan.program);
    cmd.args(&final_args);
    if let Some(cache) = &plan.cache {
        cmd.env("ZIG_GLOBAL_CACHE_DIR", cache)
            .env("ZIG_LOCAL_CACHE_DIR", cache);
    }
    let warm = match (&plan.cache, &plan.cold_key) {
        (Some(cache), Some(key)) => is_warm(cache, key),
        _ => true,
    };
    if warm && temp.is_empty() {
        // Nothing to do after zig: become zig. Saves a fork and a wait on every call
        // (most of the wrapper's overhead), and exit code and signals are zig's own.
        let failure = cmd_exec(&mut cmd);
        return Err(exec_error(&cmd, failure));
    }
    let result = match (&plan.cache, &plan.cold_key) {
        (Some(cache), Some(key)) => {
            run_warming(&mut cmd, cache, key, plan.seed.as_deref(), lock_wait)
        }
        _ => run(&mut cmd),
    };
    // Now: dying of zig's signal below runs no destructors.
    drop(temp);
    match result? {
        Exit::Code(code) => Ok(code),
        // zig was killed: die of the same signal, as a shell or make expects.
        Exit::Signal(sig) => Ok(signals::die_of(sig)),
    }
}

/// How zig ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
}

/// Prints `msg` as a warning unless a marker named `key` in the cache says it was printed
/// before (compilers run thousands of times per build; one warning is enough).
fn warn_once(cache: Option<&Path>, key: &str, msg: &str) {
    if let Some(cache) = cache {
        let marker = cache.join("nixcross").join(key);
        if marker.exists() {
            return;
        }
        let _ = fs::create_dir_all(cache.join("nixcross"));
        let _ = File::create(&marker);
    }
    eprintln!("nixcross: warning: {msg}");
}

fn short_hash(s: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    s.hash(&mut h);
    format!("{:016x}", h.finish())
}

fn cmd_exec(cmd: &mut Command) -> std::io::Error {
    use std::os::unix::process::CommandExt;
    cmd.exec()
}

fn exec_error(cmd: &Command, source: std::io::Error) -> Error {
    match source.kind() {
        std::io::ErrorKind::NotFound => Error::ZigNotFound {
            tried: cmd.get_program().to_string_lossy().into_owned(),
        },
        _ => Error::Spawn {
            program: cmd.get_program().into(),
            source,
        },
    }
}

fn is_warm(cache: &Path, key: &str) -> bool {
    seed::marker(cache, key).exists()
}

/// Runs zig and waits for it. zig dies with nixcross (PR_SET_PDEATHSIG), and signals
/// nixcross gets meanwhile (Ctrl-C, a build tool's SIGTERM) are passed on to zig, so a
/// killed build leaves no zig writing into the cache behind it.
fn run(cmd: &mut Command) -> Result<Exit, Error> {
    use std::os::unix::process::ExitStatusExt;
    signals::die_with_parent(cmd);
    let child = cmd.spawn().map_err(|source| exec_error(cmd, source))?;
    let status = signals::wait_forwarding(child).map_err(|source| Error::Io {
        what: format!("waiting for {}", cmd.get_program().to_string_lossy()),
        source,
    })?;
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(sig)) => Exit::Signal(sig),
        (None, None) => Exit::Code(1),
    })
}

/// The first link for a zig target builds libc, compiler-rt and libunwind into the cache.
/// Many such links started at once on a cold cache have failed with `File exists`, so the
/// first one runs alone under a lock; once it succeeded, links run in parallel.
/// With a prewarmed seed, the first link copies zig's libc from it instead.
fn run_warming(
    cmd: &mut Command,
    cache: &Path,
    key: &str,
    seed: Option<&Path>,
    lock_wait: Duration,
) -> Result<Exit, Error> {
    let dir = cache.join("nixcross");
    let marker = seed::marker(cache, key);
    if marker.exists() {
        return run(cmd);
    }
    fs::create_dir_all(&dir).map_err(io(format!("creating {}", dir.display())))?;
    let lock_path = dir.join(format!("lock-{key}"));
    let lock = File::create(&lock_path).map_err(io(format!("creating {}", lock_path.display())))?;
    wait_for_lock(&lock, &lock_path, key, lock_wait)?;
    if marker.exists() {
        drop(lock);
        return run(cmd);
    }
    if let Some(seed) = seed {
        if seed::seed(seed, cache, key)? {
            drop(lock);
            return run(cmd);
        }
    }
    eprintln!(
        "nixcross: first link for {key}: zig is building its libc into {} (once per cache)",
        cache.display()
    );
    let exit = run(cmd)?;
    if exit == Exit::Code(0) {
        File::create(&marker).map_err(io(format!("creating {}", marker.display())))?;
    }
    Ok(exit)
}

/// Longest a link waits for another one's first link (zig building libc: a minute or
/// two, much longer on a loaded machine) before giving up with an error.
const LOCK_WAIT_LIMIT: Duration = Duration::from_secs(3600);

/// LOCK_WAIT_LIMIT, or NIXCROSS_INTERNAL_LOCK_WAIT_SECS (for tests, which cannot wait an
/// hour to see the limit work).
fn lock_wait_limit(env: Env) -> Result<Duration, Error> {
    let Some(s) = env("NIXCROSS_INTERNAL_LOCK_WAIT_SECS").filter(|s| !s.is_empty()) else {
        return Ok(LOCK_WAIT_LIMIT);
    };
    s.trim()
        .parse()
        .map(Duration::from_secs)
        .map_err(|_| {
            Error::Usage(format!(
                "NIXCROSS_INTERNAL_LOCK_WAIT_SECS='{s}' is not a number of seconds; unset it (it is for nixcross's tests)"
            ))
        })
}

/// Takes the first-link lock; if another link holds it, says once what it waits for, and
/// gives up after `limit`.
fn wait_for_lock(lock: &File, path: &Path, key: &str, limit: Duration) -> Result<(), Error> {
    use std::fs::TryLockError;
    let started = std::time::Instant::now();
    let mut said = false;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(source)) => {
                return Err(Error::Io {
                    what: format!("locking {}", path.display()),
                    source,
                })
            }
        }
        if !said {
            eprintln!(
                "nixcross: waiting for another link, which is building zig's libc for {key} (lock {})",
                path.display()
            );
            said = true;
        }
        if started.elapsed() > limit {
            return Err(Error::Usage(format!(
                "gave up after {} s waiting for another link building zig's libc for {key}: if no other build is running, a stuck process holds {} (find it with: fuser {})",
                limit.as_secs(),
                path.display(),
                path.display()
            )));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: Vec<(&str, String)>) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> =
            pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        move |k| m.get(k).cloned()
    }

    /// A temporary directory holding a stand-in zig, and an environment that names it
    /// (NIXCROSS_ZIG) and uses the directory as TMPDIR (the cache), plus `extra`.
    fn zig_env(extra: Vec<(&str, String)>) -> (tempfile::TempDir, impl Fn(&str) -> Option<String>) {
        let d = tempfile::tempdir().unwrap();
        let z = d.path().join("zig");
        fs::write(&z, "#!/bin/sh\n").unwrap();
        let mut pairs = vec![
            ("NIXCROSS_ZIG", z.to_str().unwrap().to_string()),
            ("TMPDIR", d.path().to_str().unwrap().to_string()),
        ];
        pairs.extend(extra);
        let env = env_of(pairs);
        (d, env)
    }

    #[test]
    fn zig_targets_run_zig_cc_with_the_zig_triple() {
        let (_dir, env) = zig_env(vec![]);
        let p = plan(
            &Table::load(),
            "x86_64-pc-windows-gnu",
            Role::Linker,
            vec!["-lmsvcrt".into(), "main.o".into()],
            &env,
        )
        .unwrap();
        assert_eq!(p.prefix, ["cc", "-target", "x86_64-windows-gnu"]);
        assert_eq!(p.args, ["main.o", "-Wl,-Brepro"]);
        assert_eq!(p.cold_key.as_deref(), Some("x86_64-windows-gnu"));
        let p = plan(
            &Table::load(),
            "x86_64-pc-windows-gnu",
            Role::Dlltool,
            vec![],
            &env,
        )
        .unwrap();
        assert_eq!(p.prefix, ["dlltool"]);
        let p = plan(
            &Table::load(),
            "aarch64-apple-darwin",
            Role::Cxx,
            vec![],
            &env,
        )
        .unwrap();
        assert_eq!(p.prefix, ["c++", "-target", "aarch64-macos.11.0"]);
    }

    #[test]
    fn missing_zig_is_one_line_naming_nixcross_zig() {
        let env = env_of(vec![("PATH", "/nonexistent".into())]);
        let e = plan(
            &Table::load(),
            "x86_64-unknown-linux-musl",
            Role::Cc,
            vec![],
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("NIXCROSS_ZIG") && !e.contains('\n'), "{e}");
    }

    #[test]
    fn android_runs_the_ndk_clang_for_the_api_level() {
        let ndk = tempfile::tempdir().unwrap();
        let bin = ndk.path().join("toolchains/llvm/prebuilt/linux-x86_64/bin");
        fs::create_dir_all(&bin).unwrap();
        for f in [
            "aarch64-linux-android21-clang",
            "aarch64-linux-android30-clang++",
            "llvm-ar",
        ] {
            fs::write(bin.join(f), "").unwrap();
        }
        let root = ndk.path().to_str().unwrap().to_string();
        let env = env_of(vec![("ANDROID_NDK_HOME", root.clone())]);
        let t = Table::load();
        let p = plan(
            &t,
            "aarch64-linux-android",
            Role::Linker,
            vec!["a.o".into()],
            &env,
        )
        .unwrap();
        assert_eq!(p.program, bin.join("aarch64-linux-android21-clang"));
        assert_eq!(p.args, ["a.o"]);
        assert!(p.cache.is_none());
        let p = plan(&t, "aarch64-linux-android", Role::Ar, vec![], &env).unwrap();
        assert_eq!(p.program, bin.join("llvm-ar"));
        let env30 = env_of(vec![
            ("NIXCROSS_ANDROID_NDK", root),
            ("NIXCROSS_ANDROID_API", "30".into()),
        ]);
        let p = plan(&t, "aarch64-linux-android", Role::Cxx, vec![], &env30).unwrap();
        assert_eq!(p.program, bin.join("aarch64-linux-android30-clang++"));
        let e = plan(&t, "aarch64-linux-android", Role::Cc, vec![], &env30)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("aarch64-linux-android30-clang") && e.contains("NIXCROSS_ANDROID_API"),
            "{e}"
        );
        let e = plan(&t, "aarch64-linux-android", Role::Dlltool, vec![], &env30)
            .unwrap_err()
            .to_string();
        assert!(e.contains("dlltool"), "{e}");
    }

    #[test]
    fn an_android_api_level_that_is_not_a_number_is_an_error() {
        let ndk = tempfile::tempdir().unwrap();
        fs::create_dir_all(ndk.path().join("toolchains/llvm/prebuilt/linux-x86_64/bin")).unwrap();
        let env = env_of(vec![
            (
                "NIXCROSS_ANDROID_NDK",
                ndk.path().to_str().unwrap().to_string(),
            ),
            ("NIXCROSS_ANDROID_API", "abc".into()),
        ]);
        let e = plan(
            &Table::load(),
            "aarch64-linux-android",
            Role::Cc,
            vec![],
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("NIXCROSS_ANDROID_API='abc'"), "{e}");
    }

    #[test]
    fn a_zig_that_is_not_executable_does_not_hide_one_later_on_path() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let (first, second) = (d.path().join("a"), d.path().join("b"));
        fs::create_dir_all(&first).unwrap();
        fs::create_dir_all(&second).unwrap();
        fs::write(first.join("zig"), "not a program").unwrap();
        fs::write(second.join("zig"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(second.join("zig"), fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:{}", first.display(), second.display());
        let env = env_of(vec![("PATH", path)]);
        assert_eq!(find_zig(&env).unwrap(), second.join("zig"));
    }

    #[test]
    fn android_without_ndk_says_which_variable_to_set() {
        let env = env_of(vec![]);
        let e = plan(
            &Table::load(),
            "x86_64-linux-android",
            Role::Linker,
            vec![],
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("NIXCROSS_ANDROID_NDK"), "{e}");
    }

    #[test]
    fn response_file_input_is_rewritten_and_handed_on_as_a_response_file() {
        let (d, env) = zig_env(vec![]);
        let rsp = d.path().join("linker-arguments");
        fs::write(
            &rsp,
            "/s/self-contained/crt1.o\nmain.o\n-lc\n/p/with\\ space/lib.rlib\n",
        )
        .unwrap();
        let p = plan(
            &Table::load(),
            "x86_64-unknown-linux-musl",
            Role::Linker,
            vec![format!("@{}", rsp.display())],
            &env,
        )
        .unwrap();
        assert!(p.use_response_file);
        assert_eq!(p.args, ["main.o", "/p/with space/lib.rlib", "-static"]);
    }

    #[test]
    fn darwin_sdk_adds_framework_and_library_paths() {
        let (d, env) = zig_env(vec![("NIXCROSS_DARWIN_SDK", "/sdk".into())]);
        let p = plan(
            &Table::load(),
            "aarch64-apple-darwin",
            Role::Linker,
            vec![],
            &env,
        )
        .unwrap();
        assert_eq!(
            p.args[..3],
            [
                "-Wl,-S",
                "-F/sdk/System/Library/Frameworks",
                "-L/sdk/usr/lib"
            ]
        );
        // The stubs come last, so the SDK's own libraries and frameworks are found first.
        let stub_dir = p.stubs.expect("darwin links carry stubs");
        assert_eq!(p.args[3], format!("-L{}", stub_dir.join("lib").display()));
        assert_eq!(
            p.args[4],
            format!("-F{}", stub_dir.join("Frameworks").display())
        );
        assert!(
            stub_dir.starts_with(d.path()),
            "stubs live in the writable cache"
        );
    }

    #[test]
    fn darwin_link_asking_for_an_unstubbed_framework_fails_naming_the_fix() {
        // Without an SDK: one line naming the framework and both ways to give an SDK.
        let (_dir, env) = zig_env(vec![]);
        let e = plan(
            &Table::load(),
            "aarch64-apple-darwin",
            Role::Linker,
            vec![
                "main.o".into(),
                "-framework".into(),
                "Metal".into(),
                "-framework".into(),
                "CoreFoundation".into(),
            ],
            &env,
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(!msg.contains('\n'), "{msg}");
        assert!(msg.contains("framework Metal"), "{msg}");
        assert!(!msg.contains("framework CoreFoundation,"), "stubbed: {msg}");
        assert!(
            msg.contains("darwinSdk") && msg.contains("NIXCROSS_DARWIN_SDK"),
            "{msg}"
        );
        // With an SDK that lacks it: say so.
        let (_dir, env) = zig_env(vec![("NIXCROSS_DARWIN_SDK", "/nonexistent-sdk".into())]);
        let msg = plan(
            &Table::load(),
            "x86_64-apple-darwin",
            Role::Linker,
            vec!["-lpcap".into()],
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(
            msg.contains("-lpcap") && msg.contains("/nonexistent-sdk"),
            "{msg}"
        );
    }

    #[test]
    fn darwin_compiles_carry_no_stub_path() {
        let (_dir, env) = zig_env(vec![]);
        let p = plan(
            &Table::load(),
            "x86_64-apple-darwin",
            Role::Cc,
            vec!["-c".into(), "a.c".into()],
            &env,
        )
        .unwrap();
        assert!(p.stubs.is_none());
        assert_eq!(
            p.args,
            ["-c", "a.c", "-Wno-date-time", "-fno-sanitize=undefined"]
        );
    }

    #[test]
    fn a_callers_own_target_flag_must_agree_with_the_table() {
        let (_dir, env) = zig_env(vec![]);
        let t = Table::load();
        let p = plan(
            &t,
            MUSL_T,
            Role::Cc,
            vec!["-target".into(), "x86_64-linux-musl".into(), "-c".into()],
            &env,
        )
        .unwrap();
        assert_eq!(p.args[0], "-c", "the same -target is dropped: {:?}", p.args);
        let e = plan(
            &t,
            MUSL_T,
            Role::Cc,
            vec!["-target".into(), "aarch64-linux-gnu".into()],
            &env,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("aarch64-linux-gnu") && e.contains("x86_64-linux-musl"),
            "{e}"
        );
    }

    const MUSL_T: &str = "x86_64-unknown-linux-musl";

    #[test]
    fn paths_with_single_quotes_are_reached_through_links_without_them() {
        // zig's response-file reader cannot carry a ' at all; before, every such input
        // went on the command line, which overflowed (E2BIG) in big links.
        let d = tempfile::tempdir().unwrap();
        let home = d.path().join("o'brien");
        fs::create_dir_all(home.join("p/deps")).unwrap();
        fs::write(home.join("p/deps/liba.rlib"), "").unwrap();
        let tmp = d.path().join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        let mut q = QuoteAliases::new(&tmp, 1);
        let a = q.alias(&format!("{}/p/deps/liba.rlib", home.display()));
        let l = q.alias(&format!("-L{}/p/deps", home.display()));
        assert!(!a.contains('\'') && !l.contains('\''), "{a} {l}");
        assert_eq!(q.links.len(), 1, "one link per quoted directory");
        assert!(Path::new(&a).exists(), "{a}");
        assert_eq!(q.alias("-Wl,-rpath,/x'y"), "-Wl,-rpath,/x'y");
        assert_eq!(q.alias("plain.o"), "plain.o");
    }

    #[test]
    fn quote_marks_only_what_the_shell_needs() {
        assert_eq!(quote("-lfoo"), "-lfoo");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
    }
}
