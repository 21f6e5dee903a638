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
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
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
