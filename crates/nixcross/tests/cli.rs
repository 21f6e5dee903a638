//! The subcommands the Nix package runs at build time, through the real binary.

use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_nixcross");

#[test]
fn links_makes_every_role_link_of_every_target_pointing_at_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(EXE)
        .args(["links", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let exe = std::fs::canonicalize(EXE).unwrap();
    // The empty directory macOS targets point SDKROOT at, so rustc runs no xcrun.
    let sdk = dir.path().join("empty-macos-sdk");
    assert!(sdk.is_dir(), "links --dir must create {}", sdk.display());
    assert_eq!(std::fs::read_dir(&sdk).unwrap().count(), 0);
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "empty-macos-sdk")
        .collect();
    // 4 zig targets x 5 roles, 2 windows x 6 (dlltool), 2 android x 5 (no dlltool).
    assert_eq!(names.len(), 4 * 5 + 2 * 6 + 2 * 5, "{names:?}");
    assert!(names.contains(&"nixcross-x86_64-pc-windows-gnu-dlltool".to_string()));
    assert!(!names
        .iter()
        .any(|n| n.contains("android") && n.ends_with("dlltool")));
    for n in &names {
        assert_eq!(std::fs::read_link(dir.path().join(n)).unwrap(), exe, "{n}");
    }
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
