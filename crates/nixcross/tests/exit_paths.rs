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
