//! What nixcross leaves behind and how it ends when something fails on the way: temporary
//! files on error paths, settings it cannot read, a link waiting for another one, zig
//! dying of a signal. Fake zig and NDK scripts stand in for the real tools (the
//! behaviour is nixcross's own), so these run without zig.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXE: &str = env!("CARGO_BIN_EXE_nixcross");
const MUSL: &str = "x86_64-unknown-linux-musl";

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// An executable shell script `name` in `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::create_dir_all(dir).unwrap();
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The names in `dir` (none if it does not exist).
fn names(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// nixcross with a clean environment: PATH, a fake zig and `env`.
fn nixcross(zig: &Path, env: &[(&str, &Path)]) -> Command {
    let mut cmd = Command::new(EXE);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NIXCROSS_ZIG", zig);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

#[test]
fn a_failed_prewarm_leaves_no_work_directory_behind() {
    // Before, a cargo that could not be started or that failed returned before the
    // work directory in $TMPDIR was removed.
    let d = tempfile::tempdir().unwrap();
    let zig = script(d.path(), "zig", "exit 0");
    let failing = script(d.path(), "cargo", "exit 1");
    for cargo in [Path::new("/nonexistent/cargo"), failing.as_path()] {
        let tmp = d.path().join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        let o = nixcross(&zig, &[("TMPDIR", &tmp), ("CARGO", cargo)])
            .args(["prewarm", "--target", MUSL, "--out"])
            .arg(d.path().join("out"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
        assert_eq!(names(&tmp), Vec::<String>::new(), "{}", cargo.display());
    }
}

/// `cmd` limited to files of `bytes` bytes, with SIGXFSZ ignored: a write past the limit
/// fails with EFBIG, as on a full disk.
fn with_file_size_limit(cmd: &mut Command, bytes: u64) -> &mut Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: setrlimit and signal are async-signal-safe; nothing else runs before exec.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        })
    }
}

/// Arguments adding up to about `bytes` bytes (objects that need not exist: the fake zig
/// never opens them).
fn many_objects(dir: &Path, bytes: usize) -> Vec<String> {
    let one = format!(
        "{}/target/release/deps/object-with-a-long-name",
        dir.display()
    );
    (0..bytes / (one.len() + 8))
        .map(|i| format!("{one}-{i:05}.o"))
        .collect()
}

#[test]
fn a_response_file_that_cannot_be_written_leaves_no_temporary_files() {
    // Before, a write failing part-way left the response files already written, the
    // half-written one and the quote-alias symlinks in the cache.
    let d = tempfile::tempdir().unwrap();
    let zig = script(d.path(), "zig", "exit 0");
    let cache = d.path().join("cache");
    let quoted = d.path().join("o'brien");
    fs::create_dir_all(&quoted).unwrap();
    fs::write(quoted.join("a.o"), "").unwrap();
    let mut cmd = nixcross(&zig, &[("NIXCROSS_CACHE_DIR", &cache)]);
    cmd.args(["run", "--target", MUSL, "--role", "linker", "--"])
        // Reached through a symlink in the cache's tmp directory.
        .arg(quoted.join("a.o"))
        // No path, so it stays on the command line: the arguments before it go into a
        // small first response file, those after it into a big second one.
        .arg("-Wl,-rpath,/x'y")
        .args(many_objects(d.path(), 200 * 1024));
    let o = with_file_size_limit(&mut cmd, 32 * 1024).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("writing") && text(&o).contains(".rsp"),
        "{}",
        text(&o)
    );
    assert_eq!(names(&cache.join("nixcross/tmp")), Vec::<String>::new());
}

/// A static ELF program for x86_64 or aarch64 that passes `nixcross check` for the musl
/// target: a header, one PT_LOAD and `padding` bytes (none of it need run).
fn tiny_static_elf(machine: u16, padding: &[u8]) -> Vec<u8> {
    let size = (64 + 56 + padding.len()) as u64;
    let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
    elf.extend_from_slice(&[0; 8]);
    for half in [2u16, machine] {
        elf.extend_from_slice(&half.to_le_bytes()); // ET_EXEC, e_machine
    }
    elf.extend_from_slice(&1u32.to_le_bytes()); // e_version
    for word in [0x40_0078u64, 64, 0] {
        elf.extend_from_slice(&word.to_le_bytes()); // e_entry, e_phoff, e_shoff
    }
    elf.extend_from_slice(&0u32.to_le_bytes()); // e_flags
    for half in [64u16, 56, 1, 64, 0, 0] {
        elf.extend_from_slice(&half.to_le_bytes()); // sizes and counts: one PT_LOAD
    }
    elf.extend_from_slice(&1u32.to_le_bytes()); // PT_LOAD
    elf.extend_from_slice(&5u32.to_le_bytes()); // R+X
    for word in [0u64, 0x40_0000, 0x40_0000, size, size, 0x1000] {
        elf.extend_from_slice(&word.to_le_bytes());
    }
    elf.extend_from_slice(padding);
    elf
}

/// Bytes deflate cannot shrink: the archive holding them is as big as they are.
fn incompressible(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 32) as u8
        })
        .collect()
}

#[test]
fn a_bundle_that_fails_while_writing_leaves_no_partial_release() {
    // The first archive (aarch64) fits under the file size limit, the second does not:
    // the error comes after the release was partly written.
    let d = tempfile::tempdir().unwrap();
    for (target, machine, padding) in [
        ("aarch64-unknown-linux-musl", 0xb7u16, vec![0; 100]),
        (MUSL, 0x3e, incompressible(1 << 20)),
    ] {
        let bin = d.path().join(target);
        fs::create_dir_all(&bin).unwrap();
        fs::write(bin.join("tool"), tiny_static_elf(machine, &padding)).unwrap();
    }
    let parent = d.path().join("releases");
    fs::create_dir_all(&parent).unwrap();
    let mut cmd = Command::new(EXE);
    cmd.args(["bundle", "--name", "t", "--version", "1", "--out"])
        .arg(parent.join("v1"))
        .arg(format!(
            "aarch64-unknown-linux-musl={}",
            d.path().join("aarch64-unknown-linux-musl").display()
        ))
        .arg(format!("{MUSL}={}", d.path().join(MUSL).display()));
    let o = with_file_size_limit(&mut cmd, 256 * 1024).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("nixcross: bundle: t-1-aarch64-unknown-linux-musl.tar.gz"),
        "the first archive was written: {}",
        text(&o)
    );
    assert_eq!(names(&parent), Vec::<String>::new(), "{}", text(&o));
}

#[test]
fn a_setting_that_is_not_utf8_is_a_one_line_error_naming_it() {
    // Before, std::env::var(..).ok() made such a value look unset: NIXCROSS_LOG was
    // ignored, NIXCROSS_CACHE_DIR fell back to another cache, NIXCROSS_ZIG to PATH.
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let d = tempfile::tempdir().unwrap();
    let zig = script(d.path(), "zig", "echo zig ran");
    let cache = d.path().join("cache");
    let odd = OsStr::from_bytes(b"/tmp/x\xff");
    let compile = |var: &str| {
        nixcross(&zig, &[("NIXCROSS_CACHE_DIR", &cache)])
            .env(var, odd)
            .args(["run", "--target", MUSL, "--role", "cc", "--", "-c", "x.c"])
            .output()
            .unwrap()
    };
    for var in ["NIXCROSS_CACHE_DIR", "NIXCROSS_ZIG", "NIXCROSS_LOG"] {
        let o = compile(var);
        assert_eq!(o.status.code(), Some(2), "{var}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("{var} is not valid UTF-8")) && err.contains("set it to"),
            "{err}"
        );
        assert!(!text(&o).contains("zig ran"), "{var}: zig must not run");
    }
    // Variables nixcross does not read on this path stay none of its business.
    for var in ["HOME", "NIXCROSS_SOMETHING_ELSE", "LANG"] {
        let o = compile(var);
        assert!(o.status.success(), "{var}: {}", text(&o));
        assert!(text(&o).contains("zig ran"), "{var}: {}", text(&o));
    }
}

/// Waits for `child` at most `limit`; kills it and fails the test if it is still running.
fn output_within(mut child: std::process::Child, limit: std::time::Duration) -> Output {
    let started = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            child.kill().unwrap();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_link_waiting_for_another_first_link_says_so_once_and_gives_up_after_the_limit() {
    use std::process::Stdio;
    use std::time::Duration;
    let d = tempfile::tempdir().unwrap();
    let zig = script(d.path(), "zig", "echo zig ran");
    let cache = d.path().join("cache");
    // Another link, the first for x86_64-linux-musl on this cold cache, holds the lock.
    fs::create_dir_all(cache.join("nixcross")).unwrap();
    let lock = fs::File::create(cache.join("nixcross/lock-x86_64-linux-musl")).unwrap();
    lock.lock().unwrap();
    let link = |limit: Option<&str>| {
        let mut cmd = nixcross(&zig, &[("NIXCROSS_CACHE_DIR", &cache)]);
        cmd.args(["run", "--target", MUSL, "--role", "linker", "--", "a.o"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(l) = limit {
            cmd.env("NIXCROSS_INTERNAL_LOCK_WAIT_SECS", l);
        }
        cmd.spawn().unwrap()
    };
    let waits = |o: &Output| {
        text(o)
            .matches("nixcross: waiting for another link")
            .count()
    };
    // Past the limit: one line saying what holds it, exit 2, zig never ran.
    let o = output_within(link(Some("1")), Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(waits(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("gave up after 1 s") && text(&o).contains("lock-x86_64-linux-musl"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains("zig ran"), "{}", text(&o));
    // Released meanwhile: the link goes on, having said once what it waited for.
    let child = link(None);
    std::thread::sleep(Duration::from_millis(1500));
    drop(lock);
    let o = output_within(child, Duration::from_secs(30));
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(waits(&o), 1, "{}", text(&o));
    assert!(text(&o).contains("zig ran"), "{}", text(&o));
}

#[test]
fn android_response_files_are_written_to_the_writable_cache_not_tmpdir() {
    // $TMPDIR can be small or shared; the cache is where nixcross may write.
    let d = tempfile::tempdir().unwrap();
    let bin = d
        .path()
        .join("ndk/toolchains/llvm/prebuilt/linux-x86_64/bin");
    let record = d.path().join("record");
    // The NDK's clang stand-in notes each response file it gets and keeps a copy.
    script(
        &bin,
        "aarch64-linux-android21-clang",
        &format!(
            r#"for a; do case "$a" in @*) printf '%s\n' "${{a#@}}" >> {r}; cp "${{a#@}}" {r}.rsp;; esac; done"#,
            r = record.display()
        ),
    );
    let (tmp, cache) = (d.path().join("tmp"), d.path().join("cache"));
    fs::create_dir_all(&tmp).unwrap();
    let objects = many_objects(d.path(), 200 * 1024);
    let o = Command::new(EXE)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NIXCROSS_ANDROID_NDK", d.path().join("ndk"))
        .env("NIXCROSS_CACHE_DIR", &cache)
        .env("TMPDIR", &tmp)
        .args([
            "run",
            "--target",
            "aarch64-linux-android",
            "--role",
            "linker",
            "--",
        ])
        .args(&objects)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let recorded = fs::read_to_string(&record).unwrap();
    let rsp: Vec<&str> = recorded.lines().collect();
    assert_eq!(rsp.len(), 1, "{recorded}");
    assert!(
        Path::new(rsp[0]).starts_with(cache.join("nixcross/tmp")),
        "{}",
        rsp[0]
    );
    assert_eq!(names(&tmp), Vec::<String>::new());
    assert!(!Path::new(rsp[0]).exists(), "removed after the link");
    let copy = fs::read_to_string(d.path().join("record.rsp")).unwrap();
    let lines: Vec<&str> = copy.lines().collect();
    assert!(
        objects.iter().all(|o| lines.contains(&o.as_str())),
        "every argument is in the response file"
    );
}

#[test]
fn zig_killed_by_a_signal_while_nixcross_waits_ends_nixcross_by_the_same_signal() {
    // make and shells tell "killed" from "failed" by the signal; 128+N is only a code.
    use std::os::unix::process::ExitStatusExt;
    let d = tempfile::tempdir().unwrap();
    let record = d.path().join("record");
    let zig = script(
        d.path(),
        "zig",
        &format!("echo \"$@\" > {}; kill -TERM $$", record.display()),
    );
    let cache = d.path().join("cache");
    // nixcross waits for zig on a cold cache's first link, and when it has response
    // files to remove (a compile with 200 KiB of arguments).
    let objects = many_objects(d.path(), 200 * 1024);
    let calls: [(&str, Vec<String>); 2] = [
        ("linker", vec!["a.o".into()]),
        ("cc", [vec!["-c".to_string()], objects].concat()),
    ];
    for (role, args) in calls {
        let o = nixcross(&zig, &[("NIXCROSS_CACHE_DIR", &cache)])
            .args(["run", "--target", MUSL, "--role", role, "--"])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(
            o.status.signal(),
            Some(libc::SIGTERM),
            "{role}: {:?}",
            o.status
        );
        assert_eq!(names(&cache.join("nixcross/tmp")), Vec::<String>::new());
        if role == "cc" {
            let said = fs::read_to_string(&record).unwrap();
            assert!(said.contains(" @"), "zig got a response file: {said}");
        }
    }
}
