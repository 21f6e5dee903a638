//! macOS links against nixcross's generated framework stubs, with real zig: what links,
//! what the binary then loads, what fails and how, and that a real SDK wins. These need
//! NIXCROSS_ZIG (tests/run.sh sets it); without it they are reported as ignored.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NIXCROSS: &str = env!("CARGO_BIN_EXE_nixcross");
const DARWIN: [&str; 2] = ["x86_64-apple-darwin", "aarch64-apple-darwin"];
const STUBS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/stubs/darwin");

/// A C program that references a symbol of every stubbed library, the way the Rust
/// crates in sources.json do (taking addresses keeps every reference in the binary).
const USES_FRAMEWORKS: &str = r#"
extern void *CFStringCreateWithCString(void *, const char *, unsigned);
extern void *kCFAllocatorDefault;
extern void *CFTimeZoneCopySystem(void);
extern int SecRandomCopyBytes(void *, unsigned long, void *);
extern void *SCDynamicStoreCopyProxies(void *);
extern void *IOServiceMatching(const char *);
extern void *FSEventStreamCreate(void);
extern double NSFoundationVersionNumber;
extern double NSAppKitVersionNumber;
extern void *objc_getClass(const char *);
extern void *iconv_open(const char *, const char *);
void *volatile used[] = {
    (void *)&CFStringCreateWithCString, (void *)&kCFAllocatorDefault,
    (void *)&CFTimeZoneCopySystem, (void *)&SecRandomCopyBytes,
    (void *)&SCDynamicStoreCopyProxies, (void *)&IOServiceMatching,
    (void *)&FSEventStreamCreate, (void *)&NSFoundationVersionNumber,
    (void *)&NSAppKitVersionNumber, (void *)&objc_getClass, (void *)&iconv_open,
};
int main(void) { return used[0] == 0; }
"#;

const FRAMEWORK_ARGS: &[&str] = &[
    "-framework",
    "CoreFoundation",
    "-framework",
    "Security",
    "-framework",
    "SystemConfiguration",
    "-framework",
    "IOKit",
    "-framework",
    "CoreServices",
    "-framework",
    "Foundation",
    "-framework",
    "AppKit",
    "-lobjc",
    "-liconv",
];

fn zig() -> String {
    std::env::var("NIXCROSS_ZIG").expect("these tests need NIXCROSS_ZIG=/path/to/zig")
}

fn cache() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("zig-cache-darwin");
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn tool(target: &str, role: &str, args: &[String], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(NIXCROSS);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("NIXCROSS_ZIG", zig())
        .env("NIXCROSS_CACHE_DIR", cache())
        .args(["run", "--target", target, "--role", role, "--"])
        .args(args);
    // tests/run.sh's prewarmed libc, when there is one: these tests are about stubs.
    if let Some(seed) = std::env::var_os("NIXCROSS_PREWARMED_CACHE") {
        cmd.env("NIXCROSS_PREWARMED_CACHE", seed);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn check(target: &str, file: &Path, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(NIXCROSS);
    cmd.env_clear()
        .args(["check", "--target", target])
        .arg(file);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Compiles `c` for `target` into `dir/main.o`.
fn object(target: &str, dir: &Path, c: &str) -> String {
    let src = dir.join("main.c");
    fs::write(&src, c).unwrap();
    let obj = dir.join(format!("main-{target}.o"));
    let o = tool(
        target,
        "cc",
        &[
            "-c".into(),
            src.display().to_string(),
            "-o".into(),
            obj.display().to_string(),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o));
    obj.display().to_string()
}

fn link(target: &str, obj: &str, out: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec![obj.to_string(), "-o".into(), out.display().to_string()];
    args.extend(extra.iter().map(|s| s.to_string()));
    tool(target, "linker", &args, env)
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn every_stubbed_framework_links_without_an_sdk_and_loads_by_its_install_name() {
    let dir = tempfile::tempdir().unwrap();
    for target in DARWIN {
        let obj = object(target, dir.path(), USES_FRAMEWORKS);
        let exe = dir.path().join(format!("uses-{target}"));
        let o = link(target, &obj, &exe, FRAMEWORK_ARGS, &[]);
        assert!(o.status.success(), "{target}: {}", text(&o));
        let c = check(target, &exe, &[]);
        let report = text(&c);
        assert!(c.status.success(), "{target}: {report}");
        for install in [
            "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
            "/System/Library/Frameworks/Security.framework/Versions/A/Security",
            "/System/Library/Frameworks/SystemConfiguration.framework/Versions/A/SystemConfiguration",
            "/System/Library/Frameworks/IOKit.framework/Versions/A/IOKit",
            "/System/Library/Frameworks/CoreServices.framework/Versions/A/CoreServices",
            "/System/Library/Frameworks/Foundation.framework/Versions/C/Foundation",
            "/System/Library/Frameworks/AppKit.framework/Versions/C/AppKit",
            "/usr/lib/libobjc.A.dylib",
            "/usr/lib/libiconv.2.dylib",
        ] {
            assert!(report.contains(install), "{target}: {install} not loaded: {report}");
        }
    }
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn a_framework_nobody_stubs_is_one_line_naming_the_fix_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let target = "aarch64-apple-darwin";
    let obj = object(target, dir.path(), "int main(void){return 0;}\n");
    let exe = dir.path().join("metal");
    let o = link(
        target,
        &obj,
        &exe,
        &["-framework", "Metal", "-framework", "CoreFoundation"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("framework Metal"), "{err}");
    assert!(
        err.contains("darwinSdk") && err.contains("NIXCROSS_DARWIN_SDK"),
        "{err}"
    );
    assert!(
        !err.contains("unable to find"),
        "zig's own message is replaced: {err}"
    );
    assert!(!exe.exists());
}

/// A stand-in SDK: Metal, a framework nobody has (Zork), and a CoreFoundation whose
/// install name differs from the stub's, to see which one the linker took.
fn fake_sdk(root: &Path) {
    let fw = root.join("System/Library/Frameworks");
    for (name, install, sym) in [
        (
            "Metal",
            "/System/Library/Frameworks/Metal.framework/Versions/A/Metal",
            "_MTLCreateSystemDefaultDevice",
        ),
        (
            "Zork",
            "/System/Library/Frameworks/Zork.framework/Versions/A/Zork",
            "_ZorkInit",
        ),
        (
            "CoreFoundation",
            "/System/Library/Frameworks/CoreFoundation.framework/Versions/B/CoreFoundation",
            "_CFRelease",
        ),
    ] {
        let d = fw.join(format!("{name}.framework"));
        fs::create_dir_all(&d).unwrap();
        fs::write(
            d.join(format!("{name}.tbd")),
            format!(
                "--- !tapi-tbd\ntbd-version: 4\ntargets: [ x86_64-macos, arm64-macos ]\ninstall-name: '{install}'\nexports:\n  - targets: [ x86_64-macos, arm64-macos ]\n    symbols: [ {sym} ]\n...\n"
            ),
        )
        .unwrap();
    }
    fs::create_dir_all(root.join("usr/lib")).unwrap();
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn an_sdk_provides_what_the_stubs_do_not_and_is_searched_first() {
    let dir = tempfile::tempdir().unwrap();
    let sdk = dir.path().join("MacOSX.sdk");
    fake_sdk(&sdk);
    let sdk_env = [("NIXCROSS_DARWIN_SDK", sdk.to_str().unwrap())];
    for target in DARWIN {
        let obj = object(
            target,
            dir.path(),
            "extern void *MTLCreateSystemDefaultDevice(void); extern void ZorkInit(void); extern void CFRelease(void*);\n\
             void *volatile u[] = {(void*)&MTLCreateSystemDefaultDevice, (void*)&ZorkInit, (void*)&CFRelease};\n\
             int main(void){return u[0]==0;}\n",
        );
        let exe = dir.path().join(format!("sdk-{target}"));
        let o = link(
            target,
            &obj,
            &exe,
            &[
                "-framework",
                "Metal",
                "-framework",
                "Zork",
                "-framework",
                "CoreFoundation",
            ],
            &sdk_env,
        );
        assert!(o.status.success(), "{target}: {}", text(&o));
        // The SDK's CoreFoundation (Versions/B) won over the stub's (Versions/A).
        let with_sdk = check(target, &exe, &sdk_env);
        let report = text(&with_sdk);
        assert!(with_sdk.status.success(), "{target}: {report}");
        assert!(
            report.contains("CoreFoundation.framework/Versions/B/"),
            "{target}: {report}"
        );
        // Without the SDK, check does not know Zork: not a library every macOS has.
        let bare = check(target, &exe, &[]);
        assert!(!bare.status.success(), "{target}: {}", text(&bare));
        assert!(text(&bare).contains("Zork.framework"), "{}", text(&bare));
    }
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn macosx_deployment_target_is_what_the_binary_asks_for_and_what_check_allows() {
    let dir = tempfile::tempdir().unwrap();
    let target = "aarch64-apple-darwin";
    let obj = object(target, dir.path(), "int main(void){return 0;}\n");
    let exe = dir.path().join("v13");
    let env13 = [("MACOSX_DEPLOYMENT_TARGET", "13.0")];
    // rustc passes -mmacosx-version-min=13.0.0 itself; zig ignores it without nixcross.
    let o = link(target, &obj, &exe, &["-mmacosx-version-min=13.0.0"], &env13);
    assert!(o.status.success(), "{}", text(&o));
    let ok = check(target, &exe, &env13);
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("macOS >= 13.0"), "{}", text(&ok));
    let strict = check(target, &exe, &[]);
    assert!(!strict.status.success());
    assert!(
        text(&strict).contains("needs macOS 13.0 but the target is macOS 11.0"),
        "{}",
        text(&strict)
    );
}

fn table_zig_libraries(target: &str) -> Vec<String> {
    let o = Command::new(NIXCROSS)
        .args(["targets", "--json"])
        .output()
        .unwrap();
    let t: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    t["targets"][target]["zig_libraries"]
        .as_array()
        .expect("zig_libraries in the table")
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn every_library_the_table_says_zig_provides_links_with_real_zig() {
    // linkreq trusts this list: a name zig cannot find would pass nixcross's check and
    // fail in zig instead of with nixcross's message.
    // The two macOS targets list the same names (asserted), and zig resolves a name the
    // same way for either architecture, so one target proves the list: linking -lc++
    // builds libc++ from source, a minute per target.
    assert_eq!(
        table_zig_libraries(DARWIN[0]),
        table_zig_libraries(DARWIN[1])
    );
    let dir = tempfile::tempdir().unwrap();
    for target in [DARWIN[1]] {
        let obj = object(target, dir.path(), "int main(void){return 0;}\n");
        for lib in table_zig_libraries(target) {
            let exe = dir.path().join(format!("l{lib}-{target}"));
            let o = link(target, &obj, &exe, &[&format!("-l{lib}")], &[]);
            assert!(o.status.success(), "{target} -l{lib}: {}", text(&o));
        }
    }
}

fn symbols_of(tbd: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_exports = false;
    for line in tbd.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with("exports:") || line.trim_start().starts_with("- targets:") {
            in_exports = true;
        }
        if !in_exports {
            continue;
        }
        for tok in line.split(|c: char| c == '[' || c == ']' || c == ',' || c.is_whitespace()) {
            let tok = tok.trim_matches('\'');
            if tok.starts_with('_') {
                out.insert(tok.to_string());
            }
        }
    }
    out
}

fn tbd_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            tbd_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "tbd") {
            out.push(p);
        }
    }
}

#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn no_stub_exports_a_symbol_of_zigs_libsystem() {
    // A libSystem function in a framework stub would bind to that framework, and dyld
    // would not find it there at launch.
    let zig = fs::canonicalize(zig()).unwrap();
    let base = zig.parent().unwrap();
    let libsystem = [
        base.join("lib/libc/darwin/libSystem.tbd"),
        base.join("../lib/zig/libc/darwin/libSystem.tbd"),
        base.join("../lib/libc/darwin/libSystem.tbd"),
    ]
    .into_iter()
    .find(|p| p.exists())
    .expect("zig's lib/libc/darwin/libSystem.tbd");
    let system = symbols_of(&fs::read_to_string(&libsystem).unwrap());
    assert!(
        system.contains("_malloc") && system.len() > 1000,
        "parsed libSystem"
    );
    let mut files = Vec::new();
    tbd_files(Path::new(STUBS), &mut files);
    assert!(files.len() >= 9, "{files:?}");
    for f in files {
        let ours = symbols_of(&fs::read_to_string(&f).unwrap());
        assert!(!ours.is_empty(), "{}", f.display());
        let both: Vec<_> = ours.intersection(&system).collect();
        assert!(
            both.is_empty(),
            "{} exports libSystem symbols {both:?}",
            f.display()
        );
    }
}
