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
