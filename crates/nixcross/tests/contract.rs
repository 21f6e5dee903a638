//! `nixcross check` on libraries and on each rule of an output's contract, with files
//! made by real zig: one that keeps the rule passes, a doctored one fails naming it.
//! These need NIXCROSS_ZIG (tests/run.sh sets it); without it they are reported as ignored.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const NIXCROSS: &str = env!("CARGO_BIN_EXE_nixcross");

fn zig(dir: &Path, args: &[&str]) {
    let zig = std::env::var("NIXCROSS_ZIG").expect("these tests need NIXCROSS_ZIG=/path/to/zig");
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zig-cache-contract");
    let out = Command::new(zig)
        .args(args)
        .current_dir(dir)
        .env("ZIG_GLOBAL_CACHE_DIR", &cache)
        .env("ZIG_LOCAL_CACHE_DIR", &cache)
        .output()
        .unwrap();
    assert!(out.status.success(), "zig {args:?}: {out:?}");
}

/// (passed, stdout) of `nixcross check --target T [extra] FILES`, with HOME set to `home`.
fn check(target: &str, home: &Path, extra: &[&str], files: &[&Path]) -> (bool, String) {
    let out = Command::new(NIXCROSS)
        .args(["check", "--target", target])
        .args(extra)
        .args(files)
        .env("HOME", home)
        .env_remove("CARGO_HOME")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), text)
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    fs::create_dir_all(&home).unwrap();
    fs::write(dir.path().join("lib.c"), "int lib_answer(void) { return 42; }\nint DllMainCRTStartup(void *a, unsigned b, void *c) { return 1; }\n").unwrap();
    fs::write(
        dir.path().join("prog.c"),
        "extern int lib_answer(void);\nint start(void) { return lib_answer(); }\n",
    )
    .unwrap();
    fs::write(dir.path().join("main.c"), "int start(void) { return 0; }\n").unwrap();
    fs::write(
        dir.path().join("needs.c"),
        "extern int lib_answer(void);\nint call_answer(void) { return lib_answer(); }\n",
    )
    .unwrap();
    (dir, home)
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn android_shared_objects_need_16k_segments_a_soname_and_only_system_libraries() {
    let (dir, home) = setup();
    let d = dir.path();
    let so = |name: &str, extra: &[&str]| {
        let source = if name == "libneeds.so" {
            "needs.c"
        } else {
            "lib.c"
        };
        let mut args = vec![
            "cc",
            "-target",
            "x86_64-linux-musl",
            "-O2",
            "-nostdlib",
            "-shared",
            "-o",
            name,
            source,
        ];
        args.extend_from_slice(extra);
        zig(d, &args);
        d.join(name)
    };
    let good = so(
        "libgood.so",
        &["-Wl,-soname,libgood.so", "-Wl,-z,max-page-size=16384"],
    );
    let (ok, out) = check("x86_64-linux-android", &home, &[], &[&good]);
    assert!(ok, "{out}");
    assert!(
        out.contains("shared library 'libgood.so'") && out.contains("aligned to 16 KB"),
        "{out}"
    );

    // lld's x86_64 default: 4 KB pages, which 16 KB Android devices cannot load.
    let small = so("libsmall.so", &["-Wl,-soname,libsmall.so"]);
    let (ok, out) = check("x86_64-linux-android", &home, &[], &[&small]);
    assert!(
        !ok && out.contains("aligned to 4096 bytes; Android needs 16384"),
        "{out}"
    );

    let unnamed = so("libunnamed.so", &["-Wl,-z,max-page-size=16384"]);
    let (ok, out) = check("x86_64-linux-android", &home, &[], &[&unnamed]);
    assert!(!ok && out.contains("without DT_SONAME"), "{out}");

    // Linked against a library Android does not have.
    let needs = so(
        "libneeds.so",
        &[
            "-Wl,-soname,libneeds.so",
            "-Wl,-z,max-page-size=16384",
            "libgood.so",
        ],
    );
    let (ok, out) = check("x86_64-linux-android", &home, &[], &[&needs]);
    assert!(
        !ok && out.contains("needs [\"libgood.so\"], which Android does not provide"),
        "{out}"
    );

    // musl outputs are static: a shared object there is the wrong kind of output.
    let (ok, out) = check("x86_64-unknown-linux-musl", &home, &[], &[&good]);
    assert!(
        !ok && out.contains("rustc drops `cdylib` with a static C runtime"),
        "{out}"
    );
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn windows_dlls_export_programs_are_console_or_gui_and_only_system_dlls_load() {
    let (dir, home) = setup();
    let d = dir.path();
    let t = "x86_64-windows-gnu";
    zig(
        d,
        &[
            "cc",
            "-target",
            t,
            "-O2",
            "-nostdlib",
            "-shared",
            "-o",
            "foo.dll",
            "lib.c",
            "-Wl,--export-all-symbols",
        ],
    );
    zig(
        d,
        &[
            "cc",
            "-target",
            t,
            "-O2",
            "-nostdlib",
            "-o",
            "main.exe",
            "main.c",
            "-Wl,--entry=start",
        ],
    );
    zig(
        d,
        &[
            "cc",
            "-target",
            t,
            "-O2",
            "-nostdlib",
            "-o",
            "uses.exe",
            "prog.c",
            "foo.dll",
            "-Wl,--entry=start",
        ],
    );
    let target = "x86_64-pc-windows-gnu";
    let (ok, out) = check(
        target,
        &home,
        &[],
        &[&d.join("foo.dll"), &d.join("main.exe")],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("foo.dll: pe x86_64 shared library, 1 exports"),
        "{out}"
    );

    let (ok, out) = check(target, &home, &[], &[&d.join("uses.exe")]);
    assert!(
        !ok && out.contains("needs non-system DLLs [\"foo.dll\"]"),
        "{out}"
    );

    // A program renamed to .dll, and a DLL renamed to .exe.
    fs::copy(d.join("main.exe"), d.join("renamed.dll")).unwrap();
    fs::copy(d.join("foo.dll"), d.join("renamed.exe")).unwrap();
    let (ok, out) = check(
        target,
        &home,
        &[],
        &[&d.join("renamed.dll"), &d.join("renamed.exe")],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("named .dll but the PE header does not mark it as a DLL"),
        "{out}"
    );
    assert!(
        out.contains("named .exe but the PE header marks it as a DLL"),
        "{out}"
    );

    // The subsystem field set to 1 (native: drivers), which Windows will not start as a program.
    let mut data = fs::read(d.join("main.exe")).unwrap();
    let pe = u32::from_le_bytes(data[0x3c..0x40].try_into().unwrap()) as usize;
    let subsystem = pe + 4 + 20 + 68; // PE signature, COFF header, then the field's offset
    assert_eq!(
        u16::from_le_bytes([data[subsystem], data[subsystem + 1]]),
        3,
        "console subsystem expected"
    );
    data[subsystem..subsystem + 2].copy_from_slice(&1u16.to_le_bytes());
    fs::write(d.join("native.exe"), &data).unwrap();
    let (ok, out) = check(target, &home, &[], &[&d.join("native.exe")]);
    assert!(
        !ok && out.contains("PE subsystem 1, not a Windows console (3) or GUI (2) one"),
        "{out}"
    );
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn a_dylib_has_an_rpath_install_name_unless_one_is_named() {
    let (dir, home) = setup();
    let d = dir.path();
    let t = "aarch64-macos.11.0";
    zig(
        d,
        &[
            "cc",
            "-target",
            t,
            "-O2",
            "-nostdlib",
            "-shared",
            "-o",
            "libgood.dylib",
            "lib.c",
            "-Wl,-install_name,@rpath/libgood.dylib",
        ],
    );
    zig(
        d,
        &[
            "cc",
            "-target",
            t,
            "-O2",
            "-nostdlib",
            "-shared",
            "-o",
            "libplain.dylib",
            "lib.c",
        ],
    );
    let target = "aarch64-apple-darwin";
    let (ok, out) = check(target, &home, &[], &[&d.join("libgood.dylib")]);
    assert!(
        ok && out.contains("shared library '@rpath/libgood.dylib'")
            && out.contains("pages verified"),
        "{out}"
    );
    let (ok, out) = check(target, &home, &[], &[&d.join("libplain.dylib")]);
    assert!(
        !ok && out.contains("install name is 'libplain.dylib', expected '@rpath/libplain.dylib'"),
        "{out}"
    );
    let (ok, out) = check(
        target,
        &home,
        &["--install-name", "libplain.dylib"],
        &[&d.join("libplain.dylib")],
    );
    assert!(ok, "{out}");
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn a_static_archive_holds_only_objects_of_the_targets_format_and_architecture() {
    let (dir, home) = setup();
    let d = dir.path();
    zig(
        d,
        &[
            "cc",
            "-target",
            "aarch64-linux-musl",
            "-O2",
            "-c",
            "-o",
            "a64.o",
            "lib.c",
        ],
    );
    zig(
        d,
        &[
            "cc",
            "-target",
            "x86_64-linux-musl",
            "-O2",
            "-c",
            "-o",
            "x64.o",
            "main.c",
        ],
    );
    zig(d, &["ar", "rcs", "libgood.a", "a64.o"]);
    zig(d, &["ar", "rcs", "libmixed.a", "a64.o", "x64.o"]);
    let target = "aarch64-unknown-linux-musl";
    let (ok, out) = check(target, &home, &[], &[&d.join("libgood.a")]);
    assert!(
        ok && out.contains("static archive, 1 aarch64 objects (elf)"),
        "{out}"
    );
    let (ok, out) = check(target, &home, &[], &[&d.join("libmixed.a")]);
    assert!(
        !ok && out.contains("x64.o: a elf x86_64 object in a aarch64 archive"),
        "{out}"
    );
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn build_machine_paths_fail_the_check_unless_allowed() {
    let (dir, home) = setup();
    let d = dir.path();
    zig(
        d,
        &[
            "cc",
            "-target",
            "x86_64-linux-musl",
            "-O2",
            "-nostdlib",
            "-static",
            "-o",
            "prog",
            "main.c",
            "-Wl,--entry=start",
        ],
    );
    let target = "x86_64-unknown-linux-musl";
    let clean = d.join("prog");
    let (ok, out) = check(target, &home, &[], &[&clean]);
    assert!(ok, "{out}");
    // The same program with a registry path under HOME, a build directory and an
    // unscrubbed store path appended (as panic messages and OUT_DIR strings carry them).
    let mut data = fs::read(&clean).unwrap();
    let registry = format!("{}/.cargo/registry/src/dep-1.0/src/lib.rs", home.display());
    data.extend_from_slice(format!("\0{registry}\0/work/build/target/out/x.rs\0").as_bytes());
    fs::write(d.join("leaky"), &data).unwrap();
    let (ok, out) = check(
        target,
        &home,
        &["--forbid-path", "/work/build"],
        &[&d.join("leaky")],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("'{registry}'")) && out.contains("'/work/build/target/out/x.rs'"),
        "{out}"
    );
    let (ok, out) = check(
        target,
        &home,
        &[
            "--forbid-path",
            "/work/build",
            "--allow-path",
            &format!("{}/.cargo", home.display()),
            "--allow-path",
            "/work/build/target/out",
        ],
        &[&d.join("leaky")],
    );
    assert!(ok, "{out}");
    data.extend_from_slice(b"/nix/store/0123456789abcdfghijklmnpqrsvwxyz-openssl/lib\0");
    fs::write(d.join("store"), &data).unwrap();
    let (ok, out) = check(
        target,
        &home,
        &["--allow-path", &home.display().to_string()],
        &[&d.join("store")],
    );
    assert!(
        !ok && out.contains("/nix/store/0123456789abcdfghijklmnpqrsvwxyz-openssl/lib"),
        "{out}"
    );
}

/// A store path baked into a signed arm64 program (as OpenSSL bakes its compiler's path):
/// check refuses it, scrub turns its hash into e's and renews the page hashes, and the
/// program then passes, signature included; a universal file's slices likewise; ELF needs
/// no signature work. rcodesign must agree.
#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn scrub_removes_store_references_and_keeps_the_macos_signature_valid() {
    let (dir, home) = setup();
    let d = dir.path();
    let store = "/nix/store/0c8mlzmx8r4yvzj1jm3nnd7yaj7zh6wv-nixcross-0.1.0";
    fs::write(
        d.join("baked.c"),
        format!("__attribute__((used)) const char baked[] = \"compiler: {store}/libexec/nixcross/nixcross-cc -O2\";\nint main(int argc, char **argv) {{ (void)argv; return baked[argc]; }}\n"),
    )
    .unwrap();
    for (zt, out) in [
        ("aarch64-macos.11.0", "arm64"),
        ("x86_64-macos.10.12", "x64"),
    ] {
        zig(d, &["cc", "-target", zt, "-O2", "-o", out, "baked.c"]);
    }
    zig(
        d,
        &[
            "cc",
            "-target",
            "x86_64-linux-musl",
            "-O2",
            "-static",
            "-o",
            "elf",
            "baked.c",
        ],
    );
    // nixcross universal2 refuses unscrubbed inputs, so the universal file comes from
    // llvm-lipo (Debian's llvm names it llvm-lipo-<version>).
    let lipo = std::iter::once("llvm-lipo".to_string())
        .chain((14..=22).rev().map(|v| format!("llvm-lipo-{v}")))
        .find(|n| {
            Command::new(n)
                .arg("-version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("llvm-lipo is needed for this test: apt-get install llvm");
    let uni = Command::new(lipo)
        .arg("-create")
        .arg(d.join("x64"))
        .arg(d.join("arm64"))
        .arg("-output")
        .arg(d.join("fat"))
        .output()
        .unwrap();
    assert!(uni.status.success(), "{uni:?}");
    let cases = [
        ("aarch64-apple-darwin", "arm64"),
        ("universal2-apple-darwin", "fat"),
        ("x86_64-unknown-linux-musl", "elf"),
    ];
    for (target, file) in cases {
        let (ok, out) = check(target, &home, &[], &[&d.join(file)]);
        assert!(
            !ok && out.contains("0c8mlzmx8r4yvzj1jm3nnd7yaj7zh6wv-nixcross"),
            "{target}: {out}"
        );
    }
    let mut files: Vec<PathBuf> = cases.iter().map(|(_, f)| d.join(f)).collect();
    files.push(d.join("lib.c")); // nothing to scrub: left alone
    let before_lib = fs::read(d.join("lib.c")).unwrap();
    let out = Command::new(NIXCROSS)
        .arg("scrub")
        .args(["--store-path", store])
        .args(&files)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        said.contains(&format!(
            "scrubbed: {}: 1 reference, ",
            d.join("arm64").display()
        )),
        "{said}"
    );
    assert!(said.contains("signed pages re-hashed"), "{said}");
    assert_eq!(fs::read(d.join("lib.c")).unwrap(), before_lib);
    for (target, file) in cases {
        let (ok, out) = check(target, &home, &[], &[&d.join(file)]);
        assert!(ok, "{target}: {out}");
        let data = fs::read(d.join(file)).unwrap();
        let scrubbed: &[u8] = b"/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-nixcross-";
        assert!(
            data.windows(scrubbed.len()).any(|w| w == scrubbed),
            "{target}"
        );
        if target.contains("apple") {
            assert!(out.contains("pages verified"), "{target}: {out}");
        }
    }
    // rcodesign (bash .ci/run installs it): an ad-hoc signature has no CMS blob, which it
    // reports (as for every zig link); any other problem (a digest mismatch) fails.
    {
        let r = Command::new("rcodesign")
            .arg("verify")
            .arg(d.join("arm64"))
            .output()
            .expect("rcodesign is needed for this test: cargo install apple-codesign --locked --version 0.29.0 --no-default-features");
        let text =
            String::from_utf8_lossy(&r.stderr).into_owned() + &String::from_utf8_lossy(&r.stdout);
        let other: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("(the verify command is known to be buggy"))
            .filter(|l| {
                !matches!(
                    *l,
                    "no cryptographic signature present"
                        | "Error: problems reported during verification"
                )
            })
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert!(other.is_empty(), "rcodesign: {text}");
    }
    // Control: the same scrubbed program with one byte of a signed page changed fails.
    let mut tampered = fs::read(d.join("arm64")).unwrap();
    let at = tampered.windows(9).position(|w| w == b"compiler:").unwrap();
    tampered[at] = b'C';
    fs::write(d.join("tampered"), &tampered).unwrap();
    let (ok, out) = check("aarch64-apple-darwin", &home, &[], &[&d.join("tampered")]);
    assert!(!ok && out.contains("does not match its hash"), "{out}");
    // A bad store path is refused before any file is touched.
    let bad = Command::new(NIXCROSS)
        .args(["scrub", "--store-path", "/tmp/x"])
        .arg(d.join("arm64"))
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a store path"));
}
