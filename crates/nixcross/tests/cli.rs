//! The subcommands the Nix package runs at build time, through the real binary.

use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_nixcross");
const WRAP: &str = env!("CARGO_BIN_EXE_nixcross-wrap");

#[test]
fn links_makes_every_role_link_of_every_target_pointing_at_nixcross_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(EXE)
        .args(["links", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // The small hot-path program next to nixcross, not nixcross itself.
    let exe = std::fs::canonicalize(WRAP).unwrap();
    // The empty directory macOS targets point SDKROOT at, so rustc runs no xcrun.
    let sdk = dir.path().join("empty-macos-sdk");
    assert!(sdk.is_dir(), "links --dir must create {}", sdk.display());
    assert_eq!(std::fs::read_dir(&sdk).unwrap().count(), 0);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "empty-macos-sdk")
        .collect();
    // Per target its CMake toolchain file and the empty find root it names.
    let (extras, names): (Vec<String>, Vec<String>) = names
        .into_iter()
        .partition(|n| n.ends_with(".cmake") || n.ends_with("-sysroot"));
    assert_eq!(extras.len(), 2 * 8, "{extras:?}");
    for e in extras.iter().filter(|e| e.ends_with("-sysroot")) {
        assert!(dir.path().join(e).is_dir(), "{e}");
        assert_eq!(
            std::fs::read_dir(dir.path().join(e)).unwrap().count(),
            0,
            "{e}"
        );
    }
    // 4 zig targets x 6 roles, 2 windows x 7 (dlltool), 2 android x 6 (no dlltool); every
    // target has the pkg-config guard.
    assert_eq!(names.len(), 4 * 6 + 2 * 7 + 2 * 6, "{names:?}");
    assert_eq!(
        names.iter().filter(|n| n.ends_with("-pkg-config")).count(),
        8
    );
    assert!(names.contains(&"nixcross-x86_64-pc-windows-gnu-dlltool".to_string()));
    assert!(!names
        .iter()
        .any(|n| n.contains("android") && n.ends_with("dlltool")));
    for n in &names {
        assert_eq!(std::fs::read_link(dir.path().join(n)).unwrap(), exe, "{n}");
    }
}

/// Runs a program this test just copied, retrying while the kernel calls it busy: another
/// test thread that forked while the copy was open for writing holds that descriptor
/// until it execs (ETXTBSY), a window of microseconds.
fn output_of_fresh_copy(cmd: &mut Command) -> std::process::Output {
    for _ in 0..200 {
        match cmd.output() {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            r => return r.unwrap(),
        }
    }
    panic!("{cmd:?} stayed busy (ETXTBSY) for 2 s");
}

/// A zig stand-in that prints its arguments: what a link ran, without zig.
fn echo_zig(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let zig = dir.join("fake-zig");
    std::fs::write(&zig, "#!/bin/sh\necho \"zig $*\"\n").unwrap();
    std::fs::set_permissions(&zig, std::fs::Permissions::from_mode(0o755)).unwrap();
    zig
}

#[test]
fn a_lone_nixcross_links_to_itself_and_acts_as_the_link() {
    // Someone who copies only bin/nixcross still gets working links.
    let dir = tempfile::tempdir().unwrap();
    let lone = dir.path().join("bin/nixcross");
    std::fs::create_dir_all(lone.parent().unwrap()).unwrap();
    std::fs::copy(EXE, &lone).unwrap();
    let links = dir.path().join("links");
    let out = output_of_fresh_copy(
        Command::new(&lone)
            .args(["links", "--target", "x86_64-unknown-linux-musl", "--dir"])
            .arg(&links),
    );
    assert!(out.status.success(), "{out:?}");
    let link = links.join("nixcross-x86_64-unknown-linux-musl-cc");
    assert_eq!(std::fs::read_link(&link).unwrap(), lone);
    let out = Command::new(&link)
        .args(["-c", "x.c"])
        .env("NIXCROSS_ZIG", echo_zig(dir.path()))
        .env("NIXCROSS_CACHE_DIR", dir.path().join("cache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("zig cc -target x86_64-linux-musl"),
        "{said}"
    );
}

#[test]
fn nixcross_wrap_runs_as_the_link_it_is_called_by() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("nixcross-aarch64-unknown-linux-musl-cc");
    std::os::unix::fs::symlink(WRAP, &link).unwrap();
    let out = Command::new(&link)
        .args(["-c", "x.c"])
        .env("NIXCROSS_ZIG", echo_zig(dir.path()))
        .env("NIXCROSS_CACHE_DIR", dir.path().join("cache"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.starts_with("zig cc -target aarch64-linux-musl"),
        "{said}"
    );
}

#[test]
fn nixcross_wrap_under_another_name_fails_naming_the_links() {
    let out = Command::new(WRAP).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("called as 'nixcross-wrap'"), "{err}");
    assert!(err.contains("nixcross links --dir DIR"), "{err}");
}

#[test]
fn links_for_an_unknown_target_fails_naming_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(EXE)
        .args(["links", "--target", "x86_64-unknown-freebsd", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unknown target 'x86_64-unknown-freebsd'"),
        "{err}"
    );
    assert!(err.contains("aarch64-apple-darwin"), "{err}");
}

fn run(args: &[&str]) -> (Option<i32>, String) {
    let o = Command::new(EXE).args(args).output().unwrap();
    (
        o.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// A dynamically linked program (this machine's own, glibc) must never be released as
/// a static musl binary.
#[test]
fn bundle_refuses_a_dynamic_binary_for_a_static_target_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy(EXE, bin.join("tool")).unwrap();
    let out = tmp.path().join("release");
    let (code, text) = run(&[
        "bundle",
        "--name",
        "tool",
        "--version",
        "1.0",
        "--out",
        out.to_str().unwrap(),
        &format!("x86_64-unknown-linux-musl={}", bin.display()),
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("a musl output must be static") && text.contains("nothing was written"),
        "{text}"
    );
    assert!(!out.exists());
}

#[test]
fn bundle_input_mistakes_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = tmp.path().join("o");
    let o = out.to_str().unwrap();
    let e = empty.display();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![format!("x86_64-unknown-freebsd={e}")],
            "unknown target 'x86_64-unknown-freebsd'",
        ),
        (
            vec![format!("x86_64-apple-darwin={e}")],
            "holds no binaries for x86_64-apple-darwin",
        ),
        (
            vec![
                format!("x86_64-apple-darwin={e}"),
                format!("x86_64-apple-darwin={e}"),
            ],
            "x86_64-apple-darwin is given twice",
        ),
        (vec![e.to_string()], "is not TARGET=PATH"),
        (
            vec![format!(
                "x86_64-apple-darwin={}",
                tmp.path().join("missing").display()
            )],
            "reading the x86_64-apple-darwin binaries in",
        ),
    ];
    for (inputs, want) in cases {
        let mut args = vec!["bundle", "--name", "n", "--version", "1", "--out", o];
        args.extend(inputs.iter().map(String::as_str));
        let (code, text) = run(&args);
        assert_eq!(code, Some(2), "{inputs:?}: {text}");
        assert!(text.contains(want), "{inputs:?}: {text}");
    }
    let (code, text) = run(&[
        "bundle",
        "--name",
        "a/b",
        "--version",
        "1",
        "--out",
        o,
        "x86_64-apple-darwin=x",
    ]);
    assert_eq!(code, Some(2));
    assert!(text.contains("cannot name a release file"), "{text}");
}

#[test]
fn universal2_needs_one_input_per_darwin_target() {
    let (code, text) = run(&[
        "universal2",
        "--out",
        "/tmp/x",
        "x86_64-apple-darwin=/tmp/a",
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("x86_64-apple-darwin=PATH aarch64-apple-darwin=PATH"),
        "{text}"
    );
}

#[test]
fn links_never_replaces_a_file_of_the_users() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("nixcross-x86_64-unknown-linux-musl-cc");
    std::fs::write(&mine, "my own script").unwrap();
    let out = Command::new(EXE)
        .args(["links", "--target", "x86_64-unknown-linux-musl", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("not replacing it"));
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own script");
}

#[test]
fn env_prints_absolute_paths_for_a_relative_links_dir() {
    // cargo runs the linker from other directories than the one env ran in.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(EXE)
        .current_dir(dir.path())
        .env("NIXCROSS_ZIG", "/bin/true")
        .args([
            "env",
            "--target",
            "x86_64-unknown-linux-musl",
            "--shell",
            "json",
            "--links-dir",
            "rel/links",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let linker = v["CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER"]
        .as_str()
        .unwrap();
    assert!(
        linker.starts_with('/') && linker.contains("rel/links"),
        "{linker}"
    );
}

#[test]
fn a_relative_cache_dir_is_made_absolute_for_env_and_for_zig() {
    // cargo and build scripts run the links from other directories than the one the
    // user set NIXCROSS_CACHE_DIR in: a relative one would give each its own cache.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let zig = dir.path().join("zig");
    std::fs::write(&zig, "#!/bin/sh\necho \"cache=$ZIG_GLOBAL_CACHE_DIR\"\n").unwrap();
    std::fs::set_permissions(&zig, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cache = dir.path().join("rel/cache");
    let nixcross = |args: &[&str]| {
        Command::new(EXE)
            .current_dir(dir.path())
            .env("NIXCROSS_ZIG", &zig)
            .env("NIXCROSS_CACHE_DIR", "rel/cache")
            .args(args)
            .output()
            .unwrap()
    };
    let out = nixcross(&[
        "env",
        "--target",
        "x86_64-unknown-linux-musl",
        "--shell",
        "json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    let linker = v["CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER"]
        .as_str()
        .unwrap();
    assert!(linker.starts_with(cache.to_str().unwrap()), "{linker}");
    assert_eq!(v["NIXCROSS_CACHE_DIR"].as_str(), cache.to_str(), "{text}");
    let out = nixcross(&[
        "run",
        "--target",
        "x86_64-unknown-linux-musl",
        "--role",
        "cc",
        "--",
        "-c",
        "x.c",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("cache={}\n", cache.display())
    );
}

#[test]
fn an_unknown_argv0_link_is_one_line_naming_the_form() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("nixcross-x86_64-unknown-freebsd-cc");
    std::os::unix::fs::symlink(std::fs::canonicalize(EXE).unwrap(), &link).unwrap();
    let out = Command::new(&link).arg("-c").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("nixcross-<target>-<role>"), "{err}");
}

#[test]
fn output_into_a_closed_pipe_ends_quietly_without_a_panic() {
    use std::os::unix::process::ExitStatusExt;
    let mut child = Command::new(EXE)
        .args(["targets", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `nixcross targets --json | head -0`
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() || out.status.signal() == Some(13),
        "{:?}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn check_refuses_a_relocatable_object_as_a_program() {
    // A .o is no linked program, even though it has no interpreter and no DT_NEEDED.
    let dir = tempfile::tempdir().unwrap();
    let obj = dir.path().join("a.o");
    let cc = ["cc", "gcc"]
        .iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok());
    let cc = cc.expect("a host C compiler (gcc) for this test");
    let src = dir.path().join("a.c");
    std::fs::write(&src, "int f(void){return 1;}\n").unwrap();
    assert!(Command::new(cc)
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&obj)
        .status()
        .unwrap()
        .success());
    let (code, text) = run(&[
        "check",
        "--target",
        "x86_64-unknown-linux-musl",
        obj.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("relocatable object"), "{text}");
}

#[test]
fn bundle_refuses_two_includes_with_one_name() {
    let dir = tempfile::tempdir().unwrap();
    for d in ["a", "b", "bin"] {
        std::fs::create_dir_all(dir.path().join(d)).unwrap();
    }
    std::fs::write(dir.path().join("a/README"), "a").unwrap();
    std::fs::write(dir.path().join("b/README"), "b").unwrap();
    let out = dir.path().join("release");
    let (code, text) = run(&[
        "bundle",
        "--name",
        "t",
        "--version",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--include",
        dir.path().join("a/README").to_str().unwrap(),
        "--include",
        dir.path().join("b/README").to_str().unwrap(),
        &format!(
            "x86_64-unknown-linux-musl={}",
            dir.path().join("bin").display()
        ),
    ]);
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("two --include files are named README"),
        "{text}"
    );
    assert!(!out.exists(), "nothing written");
}

/// `--role` and `--shell` are closed sets: `--help` lists them and a typo gets clap's own
/// error naming the possible values. `nixcross run` accepts every role a link can have
/// (the roles of the links `nixcross links` makes).
#[test]
fn role_and_shell_are_typed_and_every_link_role_can_be_run() {
    let (code, help) = run(&["run", "--help"]);
    assert_eq!(code, Some(0), "{help}");
    let roles = [
        "cc",
        "c++",
        "linker",
        "ar",
        "ranlib",
        "dlltool",
        "pkg-config",
    ];
    for r in roles {
        assert!(
            help.contains(r),
            "run --help does not list role {r}:\n{help}"
        );
    }
    let (code, err) = run(&[
        "run",
        "--target",
        "x86_64-unknown-linux-musl",
        "--role",
        "linkr",
        "--",
        "x",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("invalid value 'linkr'") && err.contains("possible values"),
        "{err}"
    );
    let (code, err) = run(&[
        "env",
        "--target",
        "x86_64-unknown-linux-musl",
        "--shell",
        "tcsh",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("invalid value 'tcsh'")
            && err.contains("sh")
            && err.contains("fish")
            && err.contains("json"),
        "{err}"
    );
    // Every role suffix among the links is one `run --role` takes.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(EXE)
        .args(["links", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    for e in std::fs::read_dir(dir.path()).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if !name.starts_with("nixcross-x86_64-pc-windows-gnu-") {
            continue;
        }
        let role = name.trim_start_matches("nixcross-x86_64-pc-windows-gnu-");
        if role.ends_with(".cmake") || role == "sysroot" {
            continue;
        }
        assert!(
            roles.contains(&role),
            "link {name} has role {role}, which run --role does not list"
        );
    }
}
