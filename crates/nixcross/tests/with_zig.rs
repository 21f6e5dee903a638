//! The wrapper run for real, with zig. These need NIXCROSS_ZIG (the test script sets it);
//! without it they are reported as ignored, never as passed:
//!     NIXCROSS_ZIG=/path/to/zig cargo test -- --include-ignored

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NIXCROSS: &str = env!("CARGO_BIN_EXE_nixcross");
const MUSL: &str = "x86_64-unknown-linux-musl";
const HELLO_C: &str = "#include <stdio.h>\nint main(void){puts(\"hello from c\");return 0;}\n";

fn zig() -> String {
    std::env::var("NIXCROSS_ZIG").expect("these tests need NIXCROSS_ZIG=/path/to/zig")
}

/// A shared warm cache, so only the cold-cache test pays for building musl.
fn warm_cache() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zig-cache-warm");
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `nixcross run --target T --role R -- args` with a clean, explicit environment.
fn tool(target: &str, role: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(NIXCROSS);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NIXCROSS_ZIG", zig())
        .env("NIXCROSS_CACHE_DIR", warm_cache())
        .args(["run", "--target", target, "--role", role, "--"])
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn compile_and_link(dir: &Path, extra_env: &[(&str, &str)]) -> Output {
    fs::create_dir_all(dir).unwrap();
    let src = dir.join("hello.c");
    fs::write(&src, HELLO_C).unwrap();
    let obj = dir.join("hello.o");
    let exe = dir.join("hello");
    let o = tool(
        MUSL,
        "cc",
        &["-c", src.to_str().unwrap(), "-o", obj.to_str().unwrap()],
        extra_env,
    );
    assert!(o.status.success(), "compile failed: {}", stderr(&o));
    // --strip-debug as rustc's release links pass it: zig keys its libc like theirs, so
    // the libc tests/run.sh prewarmed (and release.rs seeded this cache with) is reused.
    tool(
        MUSL,
        "linker",
        &[
            obj.to_str().unwrap(),
            "-Wl,--strip-debug",
            "-o",
            exe.to_str().unwrap(),
        ],
        extra_env,
    )
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn paths_with_spaces_and_non_ascii_work() {
    let dir = tempfile::tempdir().unwrap();
    let odd = dir.path().join("my dir/データ ü");
    let o = compile_and_link(&odd, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run = Command::new(odd.join("hello")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "hello from c\n");
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn musl_output_is_static() {
    let dir = tempfile::tempdir().unwrap();
    let o = compile_and_link(dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let check = Command::new(NIXCROSS)
        .args(["check", "--target", MUSL])
        .arg(dir.path().join("hello"))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("elf x86_64, static"));
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn zig_exit_code_and_stderr_are_passed_through() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("broken.c");
    fs::write(&src, "int main(void){ return undefined_thing; }\n").unwrap();
    let ours = tool(
        MUSL,
        "cc",
        &["-c", src.to_str().unwrap(), "-o", "/dev/null"],
        &[],
    );
    let direct = Command::new(zig())
        .env("ZIG_GLOBAL_CACHE_DIR", warm_cache())
        .env("ZIG_LOCAL_CACHE_DIR", warm_cache())
        .args([
            "cc",
            "-target",
            "x86_64-linux-musl",
            "-c",
            src.to_str().unwrap(),
            "-o",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert!(!direct.status.success());
    assert_eq!(ours.status.code(), direct.status.code());
    assert!(
        stderr(&ours).contains("undefined_thing"),
        "{}",
        stderr(&ours)
    );
    assert_eq!(stderr(&ours), stderr(&direct));
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn verbose_prints_the_rewritten_command_and_the_rules() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("a.c");
    fs::write(&src, "int f(void){return 1;}\n").unwrap();
    let o = tool(
        "x86_64-pc-windows-gnu",
        "cc",
        &[
            "--target=x86_64-pc-windows-gnu",
            "-c",
            src.to_str().unwrap(),
            "-o",
            dir.path().join("a.o").to_str().unwrap(),
        ],
        &[("NIXCROSS_VERBOSE", "1")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("rule drop-cc-rs-target"), "{err}");
    // -g0 first (rule windows-no-default-codeview), then the caller's arguments.
    assert!(
        err.contains(" cc -target x86_64-windows-gnu -g0 -c "),
        "{err}"
    );
    assert!(!err.contains("--target=x86_64-pc-windows-gnu -c"), "{err}");
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn unwritable_home_and_no_cache_setting_still_works() {
    // The Nix sandbox: HOME=/homeless-shelter (not writable), no XDG dirs.
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("a.c");
    fs::write(&src, "int f(void){return 1;}\n").unwrap();
    let o = Command::new(NIXCROSS)
        .env_clear()
        .env("HOME", "/proc/homeless-shelter")
        .env("TMPDIR", dir.path())
        .env("NIXCROSS_ZIG", zig())
        .args(["run", "--target", MUSL, "--role", "cc", "--", "-c"])
        .arg(&src)
        .arg("-o")
        .arg(dir.path().join("a.o"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        dir.path().join("nixcross-zig-cache-0").is_dir()
            || fs::read_dir(dir.path()).unwrap().any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("nixcross-zig-cache-"))
    );
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn unwritable_cache_dir_is_a_clear_error() {
    let o = tool(
        MUSL,
        "cc",
        &["-c", "x.c"],
        &[("NIXCROSS_CACHE_DIR", "/proc/no-such-cache")],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("NIXCROSS_CACHE_DIR") && err.contains("/proc/no-such-cache"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn missing_zig_and_unknown_target_are_one_line_errors() {
    let o = Command::new(NIXCROSS)
        .env_clear()
        .env("PATH", "/nonexistent")
        .args(["run", "--target", MUSL, "--role", "cc", "--", "-c", "x.c"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("NIXCROSS_ZIG") && stderr(&o).trim_end().lines().count() == 1,
        "{}",
        stderr(&o)
    );
    let o = tool("riscv64gc-unknown-linux-gnu", "cc", &[], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown target 'riscv64gc-unknown-linux-gnu'"),
        "{}",
        stderr(&o)
    );
}

/// Every file under zig's own directory, with size and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (u64, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let m = e.metadata().unwrap();
            if m.is_dir() {
                stack.push(e.path());
            }
            out.insert(e.path(), (m.len(), m.modified().unwrap()));
        }
    }
    out
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn parallel_links_on_a_cold_cache_succeed_and_zigs_own_dir_is_untouched() {
    // zig's lib dir is read-only in the Nix store; as root here permissions would not
    // stop a write, so compare a snapshot of zig's directory instead.
    let zig_dir = PathBuf::from(zig())
        .canonicalize()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    let before = snapshot(&zig_dir);
    let dir = tempfile::tempdir().unwrap();
    let cold = dir.path().join("cold-cache");
    let src = dir.path().join("hello.c");
    fs::write(&src, HELLO_C).unwrap();
    let obj = dir.path().join("hello.o");
    let o = tool(
        MUSL,
        "cc",
        &["-c", src.to_str().unwrap(), "-o", obj.to_str().unwrap()],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let children: Vec<_> = (0..4)
        .map(|i| {
            Command::new(NIXCROSS)
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                .env("NIXCROSS_ZIG", zig())
                .env("NIXCROSS_CACHE_DIR", &cold)
                .args(["run", "--target", MUSL, "--role", "linker", "--"])
                .arg(&obj)
                .arg("-o")
                .arg(dir.path().join(format!("hello{i}")))
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "link {i} failed: {}", stderr(&out));
        let run = Command::new(dir.path().join(format!("hello{i}")))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&run.stdout), "hello from c\n");
    }
    assert!(cold.join("nixcross/warm-x86_64-linux-musl").exists());
    assert_eq!(before, snapshot(&zig_dir), "zig's own directory changed");
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn response_files_are_expanded_rewritten_and_passed_on() {
    let dir = tempfile::tempdir().unwrap();
    // (zig itself cannot compile a source whose path holds a double quote: its depfile
    // parser fails, so that case is not ours to test.)
    let work = dir.path().join("with space, it's");
    fs::create_dir_all(&work).unwrap();
    let src = work.join("hello.c");
    fs::write(&src, HELLO_C).unwrap();
    let obj = work.join("hello.o");
    assert!(tool(
        MUSL,
        "cc",
        &["-c", src.to_str().unwrap(), "-o", obj.to_str().unwrap()],
        &[]
    )
    .status
    .success());
    // What rustc writes: one argument per line, spaces escaped, plus arguments the rules
    // must remove (a crt object by bare name, -nostartfiles, -lc).
    let rsp = work.join("linker-arguments");
    let esc = |p: &Path| p.to_str().unwrap().replace(' ', "\\ ").replace('\'', "\\'");
    let exe = work.join("hello");
    fs::write(
        &rsp,
        format!(
            "crt1.o\n-nostartfiles\n{}\n-lc\n-o\n{}\n",
            esc(&obj),
            esc(&exe)
        ),
    )
    .unwrap();
    let o = tool(MUSL, "linker", &[&format!("@{}", rsp.display())], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let run = Command::new(&exe).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "hello from c\n");
    // A malformed response file is our error, naming the file.
    fs::write(&rsp, "'unterminated\n").unwrap();
    let o = tool(MUSL, "linker", &[&format!("@{}", rsp.display())], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unterminated") && stderr(&o).contains("linker-arguments"),
        "{}",
        stderr(&o)
    );
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn argv0_links_from_env_act_as_the_tools() {
    let dir = tempfile::tempdir().unwrap();
    let links = dir.path().join("links");
    let out = Command::new(NIXCROSS)
        .env("NIXCROSS_ZIG", zig())
        .env("NIXCROSS_CACHE_DIR", warm_cache())
        .args(["env", "--target", MUSL, "--shell", "json", "--links-dir"])
        .arg(&links)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let vars: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cc = vars["CC_x86_64_unknown_linux_musl"].as_str().unwrap();
    let src = dir.path().join("a.c");
    fs::write(&src, HELLO_C).unwrap();
    let o = Command::new(cc)
        .env("NIXCROSS_ZIG", zig())
        .env("NIXCROSS_CACHE_DIR", warm_cache())
        .arg(&src)
        .arg("-o")
        .arg(dir.path().join("a"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let run = Command::new(dir.path().join("a")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "hello from c\n");
    // Space-containing links dirs cannot be carried through cargo's RUSTFLAGS.
    let o = Command::new(NIXCROSS)
        .env("NIXCROSS_ZIG", zig())
        .args(["env", "--target", "x86_64-pc-windows-gnu", "--links-dir"])
        .arg(dir.path().join("a b"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("white space"), "{}", stderr(&o));
}
