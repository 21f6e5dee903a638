//! Release outputs for real: C programs linked by zig through nixcross for every zig
//! target, merged into universal macOS binaries and bundled, then opened with the
//! standard tools (tar, unzip, sha256sum, llvm-lipo, rcodesign). These need NIXCROSS_ZIG
//! and the tools below; without zig they are reported as ignored, never as passed:
//!     NIXCROSS_ZIG=/path/to/zig cargo test -- --include-ignored
//! Missing tools fail the tests with the package to install (.ci/run installs them).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const NIXCROSS: &str = env!("CARGO_BIN_EXE_nixcross");
/// The targets the table links with zig (the same list the Python harness reads).
fn zig_targets() -> &'static [String] {
    static TARGETS: OnceLock<Vec<String>> = OnceLock::new();
    TARGETS.get_or_init(|| {
        let table: serde_json::Value =
            serde_json::from_str(include_str!("../targets.json")).unwrap();
        let targets: Vec<String> = table["targets"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, t)| t["linker"].as_str().is_some_and(|l| l.starts_with("zig")))
            .map(|(name, _)| name.clone())
            .collect();
        assert_eq!(targets.len(), 6, "{targets:?}");
        targets
    })
}
const PROGRAMS: &[(&str, &str)] = &[
    (
        "alpha",
        "#include <stdio.h>\nint main(void){puts(\"alpha\");return 0;}\n",
    ),
    (
        "beta",
        "#include <stdio.h>\nint main(void){puts(\"beta\");return 1;}\n",
    ),
];

fn zig() -> String {
    std::env::var("NIXCROSS_ZIG").expect("these tests need NIXCROSS_ZIG=/path/to/zig")
}

fn cache() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zig-cache-warm");
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool_path(name: &str, package: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    let home_bin = std::env::var("HOME")
        .map(|h| format!("{h}/.cargo/bin"))
        .unwrap_or_default();
    // Debian names LLVM's tools with their version (llvm-lipo-14).
    let names: Vec<String> = std::iter::once(name.to_string())
        .chain((14..=22).rev().map(|v| format!("{name}-{v}")))
        .collect();
    std::env::split_paths(&path)
        .chain([PathBuf::from(home_bin)])
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is needed for this test: install {package}"))
}

fn nixcross(args: &[&str]) -> Output {
    Command::new(NIXCROSS)
        .env("NIXCROSS_ZIG", zig())
        .env("NIXCROSS_CACHE_DIR", cache())
        .env_remove("SOURCE_DATE_EPOCH")
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn exe_name(target: &str, program: &str) -> String {
    if target.contains("windows") {
        format!("{program}.exe")
    } else {
        program.to_string()
    }
}

/// DIR/<target>/<program> for every zig target, built once per test process.
fn built() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("release-inputs");
        let _ = fs::remove_dir_all(&root);
        for target in zig_targets() {
            let dir = root.join(target);
            fs::create_dir_all(&dir).unwrap();
            for (name, source) in PROGRAMS {
                let src = dir.join(format!("{name}.c"));
                let obj = dir.join(format!("{name}.o"));
                fs::write(&src, source).unwrap();
                let (s, o) = (src.to_str().unwrap(), obj.to_str().unwrap());
                let c = nixcross(&[
                    "run", "--target", target, "--role", "cc", "--", "-c", s, "-o", o,
                ]);
                assert!(c.status.success(), "{target}: {}", text(&c));
                let exe = dir.join(exe_name(target, name));
                let exe = exe.to_str().unwrap();
                // --strip-debug as rustc's release links pass it: zig then keys its libc as
                // for those, and a prewarmed seed (tests/run.sh exports one) is reused.
                let l = nixcross(&[
                    "run",
                    "--target",
                    target,
                    "--role",
                    "linker",
                    "--",
                    o,
                    "-Wl,--strip-debug",
                    "-o",
                    exe,
                ]);
                assert!(l.status.success(), "{target}: {}", text(&l));
                // Only the program stays: zig also writes a .pdb next to Windows outputs.
                fs::remove_file(&src).unwrap();
                fs::remove_file(&obj).unwrap();
                let _ = fs::remove_file(dir.join(format!("{name}.pdb")));
            }
        }
        root
    })
}

fn sha256(path: &Path) -> String {
    let o = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&o.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn universal2(out: &Path, x86: &Path, arm: &Path) -> Output {
    nixcross(&[
        "universal2",
        "--out",
        out.to_str().unwrap(),
        // aarch64 first: inputs are matched by target name, not position.
        &format!("aarch64-apple-darwin={}", arm.display()),
        &format!("x86_64-apple-darwin={}", x86.display()),
    ])
}

/// rcodesign's findings other than the one every ad-hoc signature gets (it has no
/// certificate chain), as tests/harness/matrix.py reads them. A changed page shows up
/// here as a digest mismatch.
fn rcodesign_problems(rcodesign: &Path, file: &Path) -> Vec<String> {
    let v = Command::new(rcodesign)
        .arg("verify")
        .arg(file)
        .output()
        .unwrap();
    assert!(
        matches!(v.status.code(), Some(0 | 1)),
        "rcodesign: {}",
        text(&v)
    );
    text(&v)
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty()
                && !l.starts_with("(the verify command")
                && *l != "no cryptographic signature present"
                && *l != "Error: problems reported during verification"
        })
        .map(String::from)
        .collect()
}

fn thin(fat: &Path, arch: &str, out: &Path) {
    let lipo = tool_path("llvm-lipo", "Debian's llvm (apt-get install llvm)");
    let o = Command::new(lipo)
        .arg(fat)
        .args(["-thin", arch, "-output"])
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "llvm-lipo -thin {arch}: {}", text(&o));
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn universal2_pairs_by_name_keeps_slices_and_the_arm64_signature() {
    let inputs = built();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("universal");
    let (x86, arm) = (
        inputs.join("x86_64-apple-darwin"),
        inputs.join("aarch64-apple-darwin"),
    );
    let o = universal2(&out, &x86, &arm);
    assert!(o.status.success(), "{}", text(&o));
    let lipo = tool_path("llvm-lipo", "Debian's llvm (apt-get install llvm)");
    let rcodesign = tool_path(
        "rcodesign",
        "cargo install apple-codesign --locked --version 0.29.0 --no-default-features",
    );
    for (name, _) in PROGRAMS {
        let fat = out.join(name);
        // LLVM's lipo reads our header the way Apple's does.
        let info = Command::new(&lipo).arg("-info").arg(&fat).output().unwrap();
        assert!(
            text(&info).contains("Architectures in the fat file")
                && text(&info).contains("x86_64 arm64"),
            "{}",
            text(&info)
        );
        // Each slice is its input, byte for byte, paired by name.
        for (arch, dir) in [("x86_64", &x86), ("arm64", &arm)] {
            let slice = tmp.path().join(format!("{name}-{arch}"));
            thin(&fat, arch, &slice);
            assert_eq!(
                fs::read(&slice).unwrap(),
                fs::read(dir.join(name)).unwrap(),
                "{name} {arch}"
            );
            if arch == "arm64" {
                let problems = rcodesign_problems(&rcodesign, &slice);
                assert!(
                    problems.is_empty(),
                    "rcodesign verify {name} arm64: {problems:?}"
                );
            }
        }
        let check = nixcross(&[
            "check",
            "--target",
            "universal2-apple-darwin",
            fat.to_str().unwrap(),
        ]);
        assert!(check.status.success(), "{}", text(&check));
        assert!(
            text(&check).contains("macho-universal x86_64+aarch64"),
            "{}",
            text(&check)
        );
        assert!(text(&check).contains("pages verified"), "{}", text(&check));
    }
    // Running it again over existing outputs refuses instead of overwriting.
    let again = universal2(&out, &x86, &arm);
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again).contains("already exists"), "{}", text(&again));
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn universal2_refuses_unpaired_swapped_or_tampered_inputs() {
    let inputs = built();
    let tmp = tempfile::tempdir().unwrap();
    let (x86, arm) = (
        inputs.join("x86_64-apple-darwin"),
        inputs.join("aarch64-apple-darwin"),
    );
    // beta only on one side.
    let lonely = tmp.path().join("arm-alpha-only");
    fs::create_dir_all(&lonely).unwrap();
    fs::copy(arm.join("alpha"), lonely.join("alpha")).unwrap();
    let o = universal2(&tmp.path().join("u1"), &x86, &lonely);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("aarch64-apple-darwin has no beta"),
        "{}",
        text(&o)
    );
    // x86_64 binaries given as the arm64 slice.
    let o = universal2(&tmp.path().join("u2"), &x86, &x86);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("architecture is x86_64, expected aarch64"),
        "{}",
        text(&o)
    );
    assert!(!tmp.path().join("u2/alpha").exists());
    // A universal file whose arm64 slice changed after signing fails the check.
    let fat = tmp.path().join("u3");
    let o = universal2(&fat, &x86.join("alpha"), &arm.join("alpha"));
    assert!(o.status.success(), "{}", text(&o));
    let mut bytes = fs::read(&fat).unwrap();
    let arm_offset = u32::from_be_bytes(bytes[36..40].try_into().unwrap()) as usize;
    bytes[arm_offset + 0x4000 + 100] ^= 0xff;
    fs::write(&fat, &bytes).unwrap();
    let check = nixcross(&[
        "check",
        "--target",
        "universal2-apple-darwin",
        fat.to_str().unwrap(),
    ]);
    assert_eq!(check.status.code(), Some(2), "{}", text(&check));
    assert!(
        text(&check).contains("aarch64 slice: invalid code signature: page 1"),
        "{}",
        text(&check)
    );
    // The control for the rcodesign check above: it sees the changed page too.
    let rcodesign = tool_path(
        "rcodesign",
        "cargo install apple-codesign --locked --version 0.29.0 --no-default-features",
    );
    let slice = tmp.path().join("u3-arm64");
    thin(&fat, "arm64", &slice);
    assert!(!rcodesign_problems(&rcodesign, &slice).is_empty());
}

/// Copies of the inputs in fresh directories with new modification times, so a second
/// bundle sees the same bytes but nothing else in common.
fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.path().is_dir() {
            copy_tree(&e.path(), &to.join(e.file_name()));
        } else {
            fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn bundle(out: &Path, inputs: &Path, readme: &Path) -> Output {
    let mut args: Vec<String> = [
        "bundle",
        "--name",
        "demo",
        "--version",
        "1.2.3",
        "--include",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(readme.display().to_string());
    args.push("--out".into());
    args.push(out.display().to_string());
    for t in zig_targets().iter().rev() {
        args.push(format!("{t}={}", inputs.join(t).display()));
    }
    args.push(format!(
        "universal2-apple-darwin={}",
        inputs.join("universal2").display()
    ));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    nixcross(&refs)
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn bundle_archives_open_with_standard_tools_and_match_sums_and_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    copy_tree(built(), &inputs);
    let o = universal2(
        &inputs.join("universal2"),
        &inputs.join("x86_64-apple-darwin"),
        &inputs.join("aarch64-apple-darwin"),
    );
    assert!(o.status.success(), "{}", text(&o));
    let readme = tmp.path().join("README.md");
    fs::write(&readme, "demo\n").unwrap();
    let out = tmp.path().join("release");
    let o = bundle(&out, &inputs, &readme);
    assert!(o.status.success(), "{}", text(&o));

    // SHA256SUMS verifies with coreutils and lists every archive.
    let sums = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(&out)
        .output()
        .unwrap();
    assert!(sums.status.success(), "{}", text(&sums));
    assert_eq!(
        text(&sums).lines().filter(|l| l.ends_with(": OK")).count(),
        7,
        "{}",
        text(&sums)
    );

    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["name"], "demo");
    assert_eq!(manifest["version"], "1.2.3");
    let artifacts = manifest["artifacts"].as_array().unwrap();
    let mut targets: Vec<&str> = artifacts
        .iter()
        .map(|a| a["target"].as_str().unwrap())
        .collect();
    targets.sort();
    let mut want: Vec<&str> = zig_targets().iter().map(String::as_str).collect();
    want.push("universal2-apple-darwin");
    want.sort();
    assert_eq!(targets, want);
    let mut listed: Vec<String> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    listed.sort();
    assert_eq!(listed.len(), 9, "{listed:?}");

    for a in artifacts {
        let target = a["target"].as_str().unwrap();
        let file = a["file"].as_str().unwrap();
        let top = format!("demo-1.2.3-{target}");
        let path = out.join(file);
        // The manifest describes the file that is there.
        assert_eq!(
            a["size"].as_u64().unwrap(),
            fs::metadata(&path).unwrap().len(),
            "{file}"
        );
        assert_eq!(a["sha256"].as_str().unwrap(), sha256(&path), "{file}");
        let windows = target.contains("windows");
        assert_eq!(
            file,
            format!("{top}.{}", if windows { "zip" } else { "tar.gz" })
        );
        // Unpacked with the standard tool, every binary is its input, executable.
        let unpacked = tmp.path().join("unpacked").join(target);
        fs::create_dir_all(&unpacked).unwrap();
        let tool = if windows {
            let t = Command::new("unzip")
                .arg("-tq")
                .arg(&path)
                .output()
                .unwrap();
            assert!(t.status.success(), "unzip -t {file}: {}", text(&t));
            Command::new("unzip")
                .arg("-q")
                .arg(&path)
                .arg("-d")
                .arg(&unpacked)
                .output()
                .unwrap()
        } else {
            Command::new("tar")
                .arg("-xzf")
                .arg(&path)
                .arg("-C")
                .arg(&unpacked)
                .output()
                .unwrap()
        };
        assert!(tool.status.success(), "{file}: {}", text(&tool));
        let input_dir = inputs.join(if target == "universal2-apple-darwin" {
            "universal2"
        } else {
            target
        });
        let binaries = a["binaries"].as_array().unwrap();
        assert_eq!(binaries.len(), PROGRAMS.len(), "{file}");
        for b in binaries {
            let name = b["name"].as_str().unwrap();
            let got = unpacked.join(&top).join(name);
            assert_eq!(
                fs::read(&got).unwrap(),
                fs::read(input_dir.join(name)).unwrap(),
                "{file}: {name}"
            );
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&got).unwrap().permissions().mode() & 0o777,
                0o755,
                "{file}: {name}"
            );
            assert_eq!(b["sha256"].as_str().unwrap(), sha256(&got));
            // Static exactly for musl; macOS and Windows load system libraries.
            assert_eq!(
                b["static"].as_bool().unwrap(),
                target.contains("musl"),
                "{file}: {name}"
            );
            if target == "universal2-apple-darwin" {
                assert_eq!(b["arch"], "x86_64+aarch64");
            }
            if target.contains("aarch64-apple") || target.starts_with("universal2") {
                assert!(b["signature"].as_str().unwrap().contains("ad hoc"), "{b}");
            }
        }
        assert_eq!(
            fs::read(unpacked.join(&top).join("README.md")).unwrap(),
            b"demo\n"
        );
        assert_eq!(a["static"].as_bool().unwrap(), target.contains("musl"));
    }

    // Packed again from copies made later, in other directories: the same bytes.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let again_inputs = tmp.path().join("elsewhere/in2");
    copy_tree(&inputs, &again_inputs);
    let out2 = tmp.path().join("release2");
    let o = bundle(&out2, &again_inputs, &readme);
    assert!(o.status.success(), "{}", text(&o));
    let files = |d: &Path| -> BTreeMap<String, Vec<u8>> {
        fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(files(&out), files(&out2));
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn bundle_writes_nothing_when_any_binary_fails_its_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    copy_tree(built(), &inputs);
    // A Windows binary where the Linux one should be.
    fs::copy(
        inputs.join("x86_64-pc-windows-gnu/alpha.exe"),
        inputs.join("x86_64-unknown-linux-musl/alpha"),
    )
    .unwrap();
    let out = tmp.path().join("release");
    let o = nixcross(&[
        "bundle",
        "--name",
        "demo",
        "--version",
        "1",
        "--out",
        out.to_str().unwrap(),
        &format!(
            "x86_64-unknown-linux-musl={}",
            inputs.join("x86_64-unknown-linux-musl").display()
        ),
        &format!(
            "x86_64-pc-windows-gnu={}",
            inputs.join("x86_64-pc-windows-gnu").display()
        ),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("x86_64-unknown-linux-musl")
            && text(&o).contains("format is pe, expected elf"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("nothing was written"), "{}", text(&o));
    assert!(!out.exists() || fs::read_dir(&out).unwrap().next().is_none());
}

fn archives(dir: &Path) -> std::collections::BTreeSet<PathBuf> {
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "a") {
                out.insert(p.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out
}

/// A first link in an empty cache seeded from a warm one (NIXCROSS_PREWARMED_CACHE)
/// compiles none of libc: every archive it uses came from the seed.
#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn a_seeded_cache_links_without_rebuilding_libc() {
    let inputs = built(); // leaves the shared cache warm for every zig target
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("fresh-cache");
    let obj = tmp.path().join("hello.o");
    let src = tmp.path().join("hello.c");
    fs::write(&src, PROGRAMS[0].1).unwrap();
    let with_seed = |args: &[&str]| {
        Command::new(NIXCROSS)
            .env("NIXCROSS_ZIG", zig())
            .env("NIXCROSS_CACHE_DIR", &fresh)
            .env("NIXCROSS_PREWARMED_CACHE", cache())
            .args(args)
            .output()
            .unwrap()
    };
    let target = "x86_64-unknown-linux-musl";
    let c = with_seed(&[
        "run",
        "--target",
        target,
        "--role",
        "cc",
        "--",
        "-c",
        src.to_str().unwrap(),
        "-o",
        obj.to_str().unwrap(),
    ]);
    assert!(c.status.success(), "{}", text(&c));
    let exe = tmp.path().join("hello");
    let l = with_seed(&[
        "run",
        "--target",
        target,
        "--role",
        "linker",
        "--",
        obj.to_str().unwrap(),
        "-Wl,--strip-debug",
        "-o",
        exe.to_str().unwrap(),
    ]);
    assert!(l.status.success(), "{}", text(&l));
    assert!(
        text(&l).contains("copied zig's prebuilt libc"),
        "{}",
        text(&l)
    );
    // Copies keep the seed's time stamps; anything zig compiled now would be newer.
    let seeded = archives(&fresh);
    assert!(seeded.iter().any(|a| a.ends_with("libc.a")), "{seeded:?}");
    for a in &seeded {
        let mtime = |root: &Path| fs::metadata(root.join(a)).unwrap().modified().unwrap();
        assert_eq!(
            mtime(&fresh),
            mtime(&cache()),
            "{} was rebuilt",
            a.display()
        );
    }
    assert!(
        seeded.is_subset(&archives(&cache())),
        "libc was rebuilt: {:?}",
        seeded.difference(&archives(&cache())).collect::<Vec<_>>()
    );
    let run = Command::new(&exe).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "alpha\n");
    assert!(inputs.exists());
}

/// Runs `cmd` to its end: its exit code, its output, and its peak resident memory in
/// KiB (getrusage's ru_maxrss, from wait4).
// wait4 reaps the child; std's wait() cannot return its resource usage.
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command, log: &Path) -> (Option<i32>, String, u64) {
    let f = fs::File::create(log).unwrap();
    cmd.stdout(f.try_clone().unwrap()).stderr(f);
    let child = cmd.spawn().unwrap();
    let mut status = 0;
    // SAFETY: zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child (std's Child does not reap it behind our back).
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (
        code,
        fs::read_to_string(log).unwrap(),
        usage.ru_maxrss as u64,
    )
}

const MIB: u64 = 1024 * 1024;

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn bundle_holds_no_included_file_or_archive_in_memory() {
    // Before, every --include file was read into memory and copied once per target, and
    // each archive was built in memory: 128 MiB included in two archives took ~400 MiB.
    let tmp = tempfile::tempdir().unwrap();
    let big = tmp.path().join("big.dat");
    fs::File::create(&big).unwrap().set_len(128 * MIB).unwrap();
    let mut cmd = Command::new(NIXCROSS);
    cmd.env("NIXCROSS_ZIG", zig())
        .args(["bundle", "--name", "demo", "--version", "1", "--include"])
        .arg(&big)
        .arg("--out")
        .arg(tmp.path().join("release"));
    // One tar.gz and one zip.
    for t in ["x86_64-unknown-linux-musl", "x86_64-pc-windows-gnu"] {
        cmd.arg(format!("{t}={}", built().join(t).display()));
    }
    let (code, out, peak_kib) = run_measured(&mut cmd, &tmp.path().join("log"));
    assert_eq!(code, Some(0), "{out}");
    assert!(
        peak_kib < 32 * 1024,
        "peak memory {} MiB for a 128 MiB include",
        peak_kib / 1024
    );
}

/// x86_64 and arm64 macOS programs of about 32 MiB (a big constant array), named `zbig`,
/// each in its own directory next to a copy of the small `alpha`.
fn big_macos_programs() -> &'static (PathBuf, PathBuf) {
    static DIRS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    DIRS.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("big-macos");
        let _ = fs::remove_dir_all(&root);
        let src = root.join("zbig.c");
        fs::create_dir_all(&root).unwrap();
        fs::write(
            &src,
            "static const char big[32 << 20] = {1};\nint main(int argc, char **argv) { (void)argv; return big[argc * 4096]; }\n",
        )
        .unwrap();
        let dir = |t: &str| {
            let d = root.join(t);
            fs::create_dir_all(&d).unwrap();
            fs::copy(built().join(t).join("alpha"), d.join("alpha")).unwrap();
            let obj = d.join("zbig.o");
            let (s, o) = (src.to_str().unwrap(), obj.to_str().unwrap());
            let c = nixcross(&["run", "--target", t, "--role", "cc", "--", "-c", s, "-o", o]);
            assert!(c.status.success(), "{t}: {}", text(&c));
            let exe = d.join("zbig");
            let l = nixcross(&[
                "run",
                "--target",
                t,
                "--role",
                "linker",
                "--",
                o,
                "-Wl,--strip-debug",
                "-o",
                exe.to_str().unwrap(),
            ]);
            assert!(l.status.success(), "{t}: {}", text(&l));
            fs::remove_file(&obj).unwrap();
            assert!(fs::metadata(&exe).unwrap().len() > 32 * MIB);
            d
        };
        (dir("x86_64-apple-darwin"), dir("aarch64-apple-darwin"))
    })
}

fn universal2_command(out: &Path, x86: &Path, arm: &Path) -> Command {
    let mut cmd = Command::new(NIXCROSS);
    cmd.env("NIXCROSS_ZIG", zig())
        .args(["universal2", "--out"])
        .arg(out)
        .arg(format!("aarch64-apple-darwin={}", arm.display()))
        .arg(format!("x86_64-apple-darwin={}", x86.display()));
    cmd
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn universal2_holds_at_most_one_slice_in_memory() {
    // Before, both inputs and the merged file were in memory at once (4x a slice); now
    // only the checks read one input or one slice of the output at a time.
    let (x86, arm) = big_macos_programs();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("zbig");
    let mut cmd = universal2_command(&out, &x86.join("zbig"), &arm.join("zbig"));
    let (code, log, peak_kib) = run_measured(&mut cmd, &tmp.path().join("log"));
    assert_eq!(code, Some(0), "{log}");
    assert!(out.is_file());
    assert!(
        peak_kib < 56 * 1024,
        "peak memory {} MiB for two 32 MiB slices",
        peak_kib / 1024
    );
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

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn universal2_that_fails_while_writing_leaves_no_partial_output() {
    let (x86, arm) = big_macos_programs();
    let tmp = tempfile::tempdir().unwrap();
    // Directories: alpha is merged, then zbig exceeds the file size limit.
    let parent = tmp.path().join("dirs");
    fs::create_dir_all(&parent).unwrap();
    let mut cmd = universal2_command(&parent.join("out"), x86, arm);
    let o = with_file_size_limit(&mut cmd, 8 * MIB).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("File too large"), "{}", text(&o));
    assert_eq!(fs::read_dir(&parent).unwrap().count(), 0, "{}", text(&o));
    // One file.
    let parent = tmp.path().join("file");
    fs::create_dir_all(&parent).unwrap();
    let mut cmd = universal2_command(&parent.join("zbig"), &x86.join("zbig"), &arm.join("zbig"));
    let o = with_file_size_limit(&mut cmd, 8 * MIB).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(fs::read_dir(&parent).unwrap().count(), 0, "{}", text(&o));
}
