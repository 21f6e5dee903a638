//! Faults and hostile input, with real zig: a seed copy that fails part-way, parallel
//! first links racing a seed copy, a shared fallback cache another user controls,
//! signals during a cold link, argv forms that are not what they look like, and a log
//! that cannot be written. Each test is named after the behaviour it guarantees.
//! They need NIXCROSS_ZIG (tests/run.sh sets it); without it they show as ignored.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

const NIXCROSS: &str = env!("CARGO_BIN_EXE_nixcross");
const MAC: &str = "aarch64-apple-darwin";
const MUSL: &str = "x86_64-unknown-linux-musl";

fn zig() -> String {
    std::env::var("NIXCROSS_ZIG").expect("these tests need NIXCROSS_ZIG=/path/to/zig")
}

fn tmpdir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

fn nixcross(env: &[(&str, &Path)]) -> Command {
    let mut cmd = Command::new(NIXCROSS);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NIXCROSS_ZIG", zig());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// An object file for `target`, compiled once into `dir`.
fn object(target: &str, dir: &Path, cache: &Path) -> PathBuf {
    fs::create_dir_all(dir).unwrap();
    let src = dir.join("main.c");
    fs::write(
        &src,
        "#include <stdio.h>\nint main(void){puts(\"ok\");return 0;}\n",
    )
    .unwrap();
    let obj = dir.join(format!("main-{target}.o"));
    let o = nixcross(&[("NIXCROSS_CACHE_DIR", cache)])
        .args(["run", "--target", target, "--role", "cc", "--", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    obj
}

fn link(target: &str, obj: &Path, out: &Path, env: &[(&str, &Path)]) -> Command {
    let mut cmd = nixcross(env);
    cmd.args(["run", "--target", target, "--role", "linker", "--"])
        .arg(obj)
        .arg("-o")
        .arg(out);
    cmd
}

/// A warm cache for macOS (zig builds only compiler-rt and libunwind there: seconds),
/// used as the prewarmed seed.
fn warm_mac_seed() -> (PathBuf, PathBuf) {
    static SEED: std::sync::OnceLock<(PathBuf, PathBuf)> = std::sync::OnceLock::new();
    SEED.get_or_init(make_mac_seed).clone()
}

fn make_mac_seed() -> (PathBuf, PathBuf) {
    let seed = tmpdir().join("zig-cache-faults-seed");
    let work = tmpdir().join("faults-work");
    let obj = object(MAC, &work, &seed);
    let o = link(
        MAC,
        &obj,
        &work.join("warm"),
        &[("NIXCROSS_CACHE_DIR", &seed)],
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(seed
        .join(format!("nixcross/warm-{}", "aarch64-macos.11.0"))
        .exists());
    (seed, obj)
}

/// Every file below `dir` with its modification time.
fn files(dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let m = fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                stack.push(e.path());
            } else {
                out.insert(
                    e.path().strip_prefix(dir).unwrap().to_path_buf(),
                    m.modified().unwrap(),
                );
            }
        }
    }
    out
}

/// zig's archives (libc, compiler-rt, libunwind) in a cache, with their time stamps.
fn archives(dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    files(dir)
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|x| x == "a"))
        .collect()
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn a_seed_copy_that_runs_out_of_space_leaves_the_cache_as_it_was_and_the_next_link_works() {
    let (seed, obj) = warm_mac_seed();
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("cache");
    fs::create_dir_all(cache.join("o/mine")).unwrap();
    fs::write(cache.join("o/mine/keep"), "mine").unwrap();
    let before = files(&cache);
    // A file size limit makes the copy of the first big archive fail with EFBIG, as a
    // full disk would (the shell ignores SIGXFSZ, so the write returns the error).
    let args = [
        NIXCROSS.to_string(),
        "run".into(),
        "--target".into(),
        MAC.into(),
        "--role".into(),
        "linker".into(),
        "--".into(),
        obj.display().to_string(),
        "-o".into(),
        d.path().join("out").display().to_string(),
    ];
    let script = r#"trap '' XFSZ; ulimit -f 512; IFS="$(printf '\037')"; set -f; exec $ARGS"#;
    let o = Command::new("/bin/sh")
        .args(["-c", script])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NIXCROSS_ZIG", zig())
        .env("NIXCROSS_CACHE_DIR", &cache)
        .env("NIXCROSS_PREWARMED_CACHE", &seed)
        .env("ARGS", args.join("\u{1f}"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = text(&o);
    assert!(
        err.contains("is unchanged") && err.contains("too large"),
        "{err}"
    );
    let after: BTreeMap<_, _> = files(&cache)
        .into_iter()
        .filter(|(p, _)| {
            // What the link writes before seeding: the stubs, its lock, the write probe.
            let p = p.to_string_lossy();
            !p.starts_with("nixcross/stubs-")
                && !p.starts_with("nixcross/lock-")
                && p != ".nixcross-writable"
        })
        .collect();
    assert_eq!(after, before, "the failed copy left files behind");
    // Without the limit the same link copies the seed and compiles nothing.
    let o = link(
        MAC,
        &obj,
        &d.path().join("out"),
        &[
            ("NIXCROSS_CACHE_DIR", &cache),
            ("NIXCROSS_PREWARMED_CACHE", &seed),
        ],
    )
    .output()
    .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("copied zig's prebuilt libc"),
        "{}",
        text(&o)
    );
    let seeded = archives(&cache);
    assert!(!seeded.is_empty());
    for (p, t) in &seeded {
        assert_eq!(
            archives(&seed).get(p),
            Some(t),
            "{} was rebuilt",
            p.display()
        );
    }
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn parallel_first_links_with_a_seed_compile_nothing_and_all_succeed() {
    // Before: a second link saw the seed's marker while the copy was still running and
    // zig rebuilt compiler-rt beside it.
    let (warm, obj) = warm_mac_seed();
    // On tmpfs a directory lists its entries newest first: a copy of the seed made with
    // nixcross/ (the markers) last is read, and was copied, markers first.
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_path_buf()
    } else {
        tmpdir()
    };
    let seed = base.join(format!("nixcross-faults-seed-{}", std::process::id()));
    let _ = fs::remove_dir_all(&seed);
    copy_markers_last(&warm, &seed);
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("cache");
    // Started a few milliseconds apart, so that later ones arrive while the first copies.
    let children: Vec<_> = (0..16)
        .map(|i| {
            std::thread::sleep(Duration::from_millis(3));
            link(
                MAC,
                &obj,
                &d.path().join(format!("out{i}")),
                &[
                    ("NIXCROSS_CACHE_DIR", &cache),
                    ("NIXCROSS_PREWARMED_CACHE", &seed),
                ],
            )
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "link {i}: {}", text(&o));
        assert!(d.path().join(format!("out{i}")).exists());
    }
    let seed_archives = archives(&seed);
    for (p, t) in archives(&cache) {
        assert_eq!(
            seed_archives.get(&p),
            Some(&t),
            "{} was compiled again",
            p.display()
        );
    }
    fs::remove_dir_all(&seed).unwrap();
}

/// Copies a cache tree (keeping time stamps), creating `nixcross/` after everything else.
fn copy_markers_last(from: &Path, to: &Path) {
    let mut entries: Vec<_> = fs::read_dir(from)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort_by_key(|p| p.file_name().is_some_and(|n| n == "nixcross"));
    fs::create_dir_all(to).unwrap();
    for src in entries {
        let dst = to.join(src.file_name().unwrap());
        if src.is_dir() {
            copy_markers_last(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
            let t = fs::metadata(&src).unwrap().modified().unwrap();
            fs::File::options()
                .write(true)
                .open(&dst)
                .unwrap()
                .set_modified(t)
                .unwrap();
        }
    }
}

fn root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `nixcross run ... cc` with HOME unusable and TMPDIR = `tmp`: the fallback cache.
fn compile_with_tmpdir(tmp: &Path, as_user: Option<u32>) -> Output {
    let mut cmd = match as_user {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
                NIXCROSS,
            ]);
            c
        }
        None => Command::new(NIXCROSS),
    };
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NIXCROSS_ZIG", zig())
        .env("HOME", "/proc/homeless-shelter")
        .env("TMPDIR", tmp)
        .args(["run", "--target", MUSL, "--role", "cc", "--", "-c", "x.c"])
        .output()
        .unwrap()
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn a_fallback_cache_another_user_owns_or_links_elsewhere_is_never_used() {
    assert!(
        root(),
        "this test makes directories owned by another user and runs nixcross as one (setpriv): run it as root"
    );
    use std::os::unix::fs::PermissionsExt;
    let d = tempfile::tempdir().unwrap();
    let tmp = d.path().join("tmp");
    fs::create_dir_all(&tmp).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o1777)).unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    // Another user (uid 4242) runs nixcross; root planted their cache name first, 0777.
    let planted = tmp.join("nixcross-zig-cache-4242");
    fs::create_dir(&planted).unwrap();
    fs::set_permissions(&planted, fs::Permissions::from_mode(0o777)).unwrap();
    fs::create_dir_all(planted.join("nixcross")).unwrap();
    fs::write(planted.join("nixcross/warm-x86_64-linux-musl"), "").unwrap();
    let o = compile_with_tmpdir(&tmp, Some(4242));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("belongs to uid 0") && text(&o).contains("NIXCROSS_CACHE_DIR"),
        "{}",
        text(&o)
    );
    // A symlink with the name, pointing at a directory someone else chose.
    let mine = tmp.join("nixcross-zig-cache-0");
    let elsewhere = d.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &mine).unwrap();
    let o = compile_with_tmpdir(&tmp, None);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("symbolic link"), "{}", text(&o));
    assert_eq!(
        fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing written there"
    );
}

/// Processes whose environment names `cache` as zig's cache.
fn processes_using(cache: &Path) -> Vec<String> {
    let needle = format!("ZIG_GLOBAL_CACHE_DIR={}", cache.display());
    fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| {
            let env = fs::read(e.path().join("environ")).ok()?;
            env.split(|&b| b == 0)
                .any(|v| v == needle.as_bytes())
                .then(|| e.file_name().to_string_lossy().into_owned())
        })
        .collect()
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn a_signal_during_a_cold_link_stops_zig_and_leaves_no_temporary_files() {
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("cold");
    let (_, obj) = warm_mac_seed();
    // A response file makes nixcross write its own and wait for zig.
    let rsp = d.path().join("args.rsp");
    fs::write(
        &rsp,
        format!(
            "{}\n-o\n{}\n",
            obj.display(),
            d.path().join("out").display()
        ),
    )
    .unwrap();
    let mut child = nixcross(&[("NIXCROSS_CACHE_DIR", &cache)])
        .args(["run", "--target", MAC, "--role", "linker", "--"])
        .arg(format!("@{}", rsp.display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until zig runs (it builds compiler-rt on this cold cache for seconds).
    let started = Instant::now();
    while processes_using(&cache).is_empty() && started.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!processes_using(&cache).is_empty(), "zig never started");
    // SAFETY: sends SIGTERM to the nixcross child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(libc::SIGTERM),
        "{status:?}: dies of the signal zig died of"
    );
    let gone = Instant::now();
    while !processes_using(&cache).is_empty() && gone.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        processes_using(&cache),
        Vec::<String>::new(),
        "zig kept running"
    );
    let tmp = cache.join("nixcross/tmp");
    let left: Vec<_> = fs::read_dir(&tmp)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "temporary files left: {left:?}");
    assert!(
        !cache.join("nixcross/warm-aarch64-macos.11.0").exists(),
        "no marker for a killed link"
    );
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn macos_at_paths_reach_zig_as_paths_not_response_files() {
    // CMake passes -install_name @rpath/libfoo.dylib; before, nixcross tried to read a
    // response file named rpath/libfoo.dylib and failed.
    let (seed, _) = warm_mac_seed();
    let d = tempfile::tempdir().unwrap();
    let src = d.path().join("foo.c");
    fs::write(&src, "int foo(void){return 42;}\n").unwrap();
    let lib = d.path().join("libfoo.dylib");
    let o = nixcross(&[("NIXCROSS_CACHE_DIR", &seed)])
        .args(["run", "--target", MAC, "--role", "linker", "--", "-shared"])
        .arg(&src)
        .args([
            "-install_name",
            "@rpath/libfoo.dylib",
            "-Xlinker",
            "-rpath",
            "-Xlinker",
            "@loader_path/../lib",
            "-o",
        ])
        .arg(&lib)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let bytes = fs::read(&lib).unwrap();
    for s in ["@rpath/libfoo.dylib", "@loader_path/../lib"] {
        assert!(
            bytes.windows(s.len()).any(|w| w == s.as_bytes()),
            "{s} not in the dylib"
        );
    }
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn an_unwritable_log_warns_once_and_the_build_goes_on() {
    let (seed, _) = warm_mac_seed();
    let d = tempfile::tempdir().unwrap();
    let cache = d.path().join("cache");
    let log = Path::new("/proc/nixcross-no-such-dir/log");
    let mut warnings = 0;
    for i in 0..2 {
        let src = d.path().join(format!("a{i}.c"));
        fs::write(&src, "int f(void){return 1;}\n").unwrap();
        let o = nixcross(&[
            ("NIXCROSS_CACHE_DIR", &cache),
            ("NIXCROSS_PREWARMED_CACHE", &seed),
            ("NIXCROSS_LOG", log),
        ])
        .args(["run", "--target", MAC, "--role", "cc", "--", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(d.path().join(format!("a{i}.o")))
        .output()
        .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        warnings += text(&o).matches("cannot be written").count();
    }
    assert_eq!(warnings, 1, "warned once, not on every call");
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn an_output_named_like_a_crt_object_and_combined_wl_lists_link() {
    // Before: `-o crt1.o` lost its value to the crt rule (the output was named -static),
    // and -Wl,-O1,--as-needed slipped past the rule that drops -O1.
    let cache = tmpdir().join("zig-cache-warm");
    let d = tempfile::tempdir().unwrap();
    let obj = object(MUSL, d.path(), &cache);
    let out = d.path().join("crt1.o");
    let mut cmd = nixcross(&[("NIXCROSS_CACHE_DIR", &cache)]);
    // tests/run.sh's prewarmed libc, when there is one (this test is about argv forms).
    if let Some(seed) = std::env::var_os("NIXCROSS_PREWARMED_CACHE") {
        cmd.env("NIXCROSS_PREWARMED_CACHE", seed);
    }
    let o = cmd
        .args(["run", "--target", MUSL, "--role", "linker", "--"])
        .arg(&obj)
        // --strip-debug as rustc passes it: the libc prewarmed for this cache is reused.
        .args(["-Wl,-O1,--as-needed", "-Wl,--strip-debug", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        !text(&o).contains("deprecated linker optimization"),
        "{}",
        text(&o)
    );
    let run = Command::new(&out).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "ok\n");
    assert!(!d.path().join("-static").exists());
}

/// `nixcross run` as `role` for `target`, or the argv0 link nixcross-wrap runs behind
/// (made in `dir`), with `cache` as zig's cache.
fn as_tool(via_link: bool, dir: &Path, target: &str, role: &str, cache: &Path) -> Command {
    let mut cmd = if via_link {
        let link = dir.join(format!("nixcross-{target}-{role}"));
        if !link.exists() {
            std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_nixcross-wrap"), &link).unwrap();
        }
        Command::new(&link)
    } else {
        let mut c = Command::new(NIXCROSS);
        c.args(["run", "--target", target, "--role", role, "--"]);
        c
    };
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NIXCROSS_ZIG", zig())
        .env("NIXCROSS_CACHE_DIR", cache);
    // tests/run.sh's prewarmed libc, when there is one.
    if let Some(seed) = std::env::var_os("NIXCROSS_PREWARMED_CACHE") {
        cmd.env("NIXCROSS_PREWARMED_CACHE", seed);
    }
    cmd
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn arguments_that_are_not_utf8_reach_zig_as_they_are() {
    // Before, any argument that was not UTF-8 (a Latin-1 file name) was refused, exit 2.
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let cache = tmpdir().join("zig-cache-warm");
    let d = tempfile::tempdir().unwrap();
    let odd = d.path().join(OsStr::from_bytes(b"x\xff"));
    fs::create_dir_all(&odd).unwrap();
    let src = odd.join("main.c");
    fs::write(
        &src,
        "#include <stdio.h>\nint main(void){puts(\"ok\");return 0;}\n",
    )
    .unwrap();
    for via_link in [false, true] {
        let obj = odd.join(format!("main-{via_link}.o"));
        let o = as_tool(via_link, d.path(), MUSL, "cc", &cache)
            .arg("-c")
            .arg(&src)
            .arg("-o")
            .arg(&obj)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
        // Small: nixcross execs zig. Big: nixcross writes response files, with the
        // non-UTF-8 arguments in them, and waits.
        for repeats in [0, 8000] {
            let out = odd.join(format!("prog-{via_link}-{repeats}"));
            let mut search = b"-L".to_vec();
            search.extend_from_slice(odd.as_os_str().as_bytes());
            let o = as_tool(via_link, d.path(), MUSL, "linker", &cache)
                .arg(&obj)
                .args(std::iter::repeat_n(OsStr::from_bytes(&search), repeats))
                .arg("-o")
                .arg(&out)
                .output()
                .unwrap();
            assert!(o.status.success(), "{repeats}: {}", text(&o));
            let run = Command::new(&out).output().unwrap();
            assert_eq!(String::from_utf8_lossy(&run.stdout), "ok\n");
        }
    }
}

/// One argument per line in GNU response-file syntax, every special character escaped
/// (rustc's linker-arguments file, with quotes escaped too).
fn gnu_response_file(args: &[String]) -> String {
    let mut s = String::new();
    for a in args {
        for c in a.chars() {
            if c.is_whitespace() || matches!(c, '\\' | '\'' | '"') {
                s.push('\\');
            }
            s.push(c);
        }
        s.push('\n');
    }
    s
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn a_link_too_big_for_one_command_line_with_quotes_in_every_path_links() {
    // zig's response-file reader cannot carry a '. Before, every such path went on zig's
    // command line, which a big link (thousands of objects under /home/o'brien) made
    // too long for the kernel: E2BIG.
    let cache = tmpdir().join("zig-cache-warm");
    let d = tempfile::tempdir().unwrap();
    let main = object(MUSL, d.path(), &cache);
    let empty_c = d.path().join("empty.c");
    fs::write(&empty_c, "int nixcross_declared_only(void);\n").unwrap();
    let empty = d.path().join("empty.o");
    let o = nixcross(&[("NIXCROSS_CACHE_DIR", &cache)])
        .args(["run", "--target", MUSL, "--role", "cc", "--", "-c"])
        .arg(&empty_c)
        .arg("-o")
        .arg(&empty)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let long = "a-long-directory-name-".repeat(9);
    let dirs: Vec<PathBuf> = ["o'brien", "d'arcy"]
        .iter()
        .map(|q| d.path().join(q).join(&long).join("target/release/deps"))
        .collect();
    for dir in &dirs {
        fs::create_dir_all(dir).unwrap();
    }
    let main_quoted = dirs[0].join("main.o");
    fs::copy(&main, &main_quoted).unwrap();
    let mut args = vec![main_quoted.display().to_string()];
    for i in 0..9000 {
        let p = dirs[i % 2].join(format!("empty-{i:05}.o"));
        fs::hard_link(&empty, &p).unwrap();
        args.push(p.display().to_string());
    }
    let out = d.path().join("big");
    args.extend(["-o".to_string(), out.display().to_string()]);
    let total: usize = args.iter().map(|a| a.len() + 1).sum();
    assert!(
        total > 2 << 20,
        "{total} bytes: more than one command line may hold"
    );
    let rsp = d.path().join("linker-arguments");
    fs::write(&rsp, gnu_response_file(&args)).unwrap();
    let mut cmd = nixcross(&[("NIXCROSS_CACHE_DIR", &cache)]);
    if let Some(seed) = std::env::var_os("NIXCROSS_PREWARMED_CACHE") {
        cmd.env("NIXCROSS_PREWARMED_CACHE", seed);
    }
    cmd.args(["run", "--target", MUSL, "--role", "linker", "--"])
        .arg(format!("@{}", rsp.display()));
    // The kernel's limit on a command line is a quarter of the stack limit: 8 MiB, as by
    // default, makes it 2 MiB wherever this runs.
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit is async-signal-safe; nothing else runs before exec.
    unsafe {
        cmd.pre_exec(|| {
            let mut stack: libc::rlimit = std::mem::zeroed();
            libc::getrlimit(libc::RLIMIT_STACK, &mut stack);
            stack.rlim_cur = (8 << 20).min(stack.rlim_max);
            libc::setrlimit(libc::RLIMIT_STACK, &stack);
            Ok(())
        });
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let run = Command::new(&out).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "ok\n");
}
