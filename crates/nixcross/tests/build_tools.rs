//! Build scripts' own tools through what `nixcross env` exports, with the real tools:
//! zig's header directories for bindgen, CMake with the generated toolchain file for
//! every zig target, and the pkg-config guard. They need NIXCROSS_ZIG (else they show as
//! ignored, never as passed) and cmake and pkg-config on PATH (else they fail saying so).
//!     NIXCROSS_ZIG=/path/to/zig cargo test --test build_tools -- --include-ignored

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;

const NIXCROSS: &str = env!("CARGO_BIN_EXE_nixcross");
const ZIG_TARGETS: [&str; 6] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-pc-windows-gnu",
    "aarch64-pc-windows-gnullvm",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
];

fn zig() -> String {
    std::env::var("NIXCROSS_ZIG").expect("these tests need NIXCROSS_ZIG=/path/to/zig")
}

fn table() -> serde_json::Value {
    let out = Command::new(NIXCROSS)
        .args(["targets", "--json"])
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `nixcross env --shell json` for `target` with links in `links`.
fn env_of(target: &str, links: &Path, extra: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut cmd = Command::new(NIXCROSS);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", links.parent().unwrap())
        .env("NIXCROSS_ZIG", zig())
        .args(["env", "--target", target, "--shell", "json", "--links-dir"])
        .arg(links);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "nixcross env {target}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn need(program: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{program} is not on PATH: this test needs it (bash .ci/run installs it)"
    );
}

/// bindgen gets zig's libc headers for the target in the order zig cc searches them,
/// zig's builtin `include` last (libclang's own builtins come first): compared with what
/// zig itself prints for `-E -v`, so a zig that moves its headers fails this test.
#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn bindgen_headers_are_the_ones_zig_cc_compiles_with() {
    let t = table();
    let tmp = tempfile::tempdir().unwrap();
    let links = tmp.path().join("links");
    let zig_env = Command::new(zig()).arg("env").output().unwrap();
    let zig_env = String::from_utf8_lossy(&zig_env.stdout).into_owned();
    for target in ZIG_TARGETS {
        let vars = env_of(target, &links, &[]);
        let key = format!("BINDGEN_EXTRA_CLANG_ARGS_{}", target.replace('-', "_"));
        let args: Vec<&str> = vars[&key].split(' ').collect();
        let llvm = t["targets"][target]["build_tools"]["llvm_target"]
            .as_str()
            .unwrap();
        assert!(
            args[0].starts_with(&format!("--target={llvm}")),
            "{target}: {args:?}"
        );
        assert_eq!(
            args[1], "-nostdlibinc",
            "{target}: no build-machine /usr/include"
        );
        let ours: Vec<&str> = args[2..]
            .chunks(2)
            .map(|p| {
                assert_eq!(p[0], "-idirafter", "{target}: {args:?}");
                p[1]
            })
            .collect();
        for dir in &ours {
            assert!(Path::new(dir).is_dir(), "{target}: {dir} does not exist");
            let lib = Path::new(ours.last().unwrap())
                .parent()
                .unwrap()
                .display()
                .to_string();
            assert!(
                dir.starts_with(&lib),
                "{target}: {dir} outside zig's lib dir {lib}"
            );
            assert!(
                zig_env.contains(&format!("\"{lib}\"")),
                "{target}: zig env names another lib dir than {lib}:\n{zig_env}"
            );
        }
        let zig_target = t["targets"][target]["zig_target"].as_str().unwrap();
        let out = Command::new(zig())
            .args([
                "cc",
                "-target",
                zig_target,
                "-E",
                "-v",
                "-x",
                "c",
                "/dev/null",
                "-o",
                "/dev/null",
            ])
            .env("ZIG_GLOBAL_CACHE_DIR", tmp.path().join("zc"))
            .env("ZIG_LOCAL_CACHE_DIR", tmp.path().join("zc"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        let zigs: Vec<String> = text
            .lines()
            .skip_while(|l| !l.starts_with("#include <...> search starts here"))
            .skip(1)
            .take_while(|l| !l.starts_with("End of search list"))
            .map(|l| l.trim().to_string())
            .collect();
        assert!(
            !zigs.is_empty(),
            "{target}: zig printed no search list:\n{text}"
        );
        let mut want: Vec<String> = zigs[1..].to_vec();
        want.push(zigs[0].clone());
        let canon = |p: &str| fs::canonicalize(p).unwrap_or_else(|_| p.into());
        assert_eq!(
            ours.iter().map(|p| canon(p)).collect::<Vec<_>>(),
            want.iter().map(|p| canon(p)).collect::<Vec<_>>(),
            "{target}: zig cc searches {zigs:?}"
        );
    }
}

/// A CMake project as the cmake crate runs one: try-compile must link a program for the
/// target, CMAKE_SYSTEM_PROCESSOR must name its CPU, and a library, header and .pc file
/// planted where the build machine's would be found must stay invisible. The archive it
/// builds is checked by `nixcross check` (members of the target's format and CPU).
#[test]
#[ignore = "needs zig: set NIXCROSS_ZIG and pass --include-ignored"]
fn cmake_with_the_toolchain_file_builds_for_the_target_and_finds_nothing_of_the_host() {
    need("cmake");
    need("pkg-config");
    let tmp = tempfile::tempdir().unwrap();
    let links = tmp.path().join("links");
    // The build machine's libraries, as Nix's setup hooks or /usr/local would offer them.
    let host = tmp.path().join("host");
    fs::create_dir_all(host.join("lib/pkgconfig")).unwrap();
    fs::create_dir_all(host.join("include")).unwrap();
    fs::write(host.join("lib/libhostonly.a"), "!<arch>\n").unwrap();
    fs::write(host.join("lib/libhostonly.so"), "").unwrap();
    fs::write(host.join("include/hostonly.h"), "").unwrap();
    fs::write(
        host.join("lib/pkgconfig/hostonly.pc"),
        format!("prefix={}\nName: hostonly\nDescription: d\nVersion: 1\nLibs: -L${{prefix}}/lib -lhostonly\n", host.display()),
    )
    .unwrap();
    let src = tmp.path().join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(
        src.join("CMakeLists.txt"),
        r##"cmake_minimum_required(VERSION 3.10)
project(probe C)
include(CheckCSourceCompiles)
check_c_source_compiles("#include <stdio.h>
int main(void) { puts(\"x\"); return 0; }" LINKS_FOR_TARGET)
find_library(HOSTONLY_LIB hostonly)
find_path(HOSTONLY_INC hostonly.h)
find_package(PkgConfig)
pkg_check_modules(HOSTONLY_PC QUIET hostonly)
file(WRITE "${CMAKE_BINARY_DIR}/probe.txt"
  "links=${LINKS_FOR_TARGET}\nprocessor=${CMAKE_SYSTEM_PROCESSOR}\nsystem=${CMAKE_SYSTEM_NAME}\ncross=${CMAKE_CROSSCOMPILING}\nlib=${HOSTONLY_LIB}\ninc=${HOSTONLY_INC}\npc=${HOSTONLY_PC_FOUND}\npkgconfig=${PKG_CONFIG_FOUND}\n")
add_library(probe STATIC probe.c)
"##,
    )
    .unwrap();
    fs::write(src.join("probe.c"), "int probe(void) { return 42; }\n").unwrap();
    let t = table();
    // One target per linker family, and the two whose CMAKE_SYSTEM_PROCESSOR is spelled
    // unlike the CPU (AMD64, arm64): each first link of a C program compiles zig's libc
    // for that target anew (CMake's flags are not rustc's), and the matrix's cmake-lib
    // fixture builds through the toolchain file on all six.
    for target in [
        "x86_64-unknown-linux-musl",
        "x86_64-pc-windows-gnu",
        "aarch64-apple-darwin",
    ] {
        let vars = env_of(target, &links, &[]);
        let suffix = target.replace('-', "_");
        let toolchain = &vars[&format!("CMAKE_TOOLCHAIN_FILE_{suffix}")];
        let build = tmp.path().join(format!("build-{target}"));
        let mut cmake = Command::new("cmake");
        cmake
            .arg("-S")
            .arg(&src)
            .arg("-B")
            .arg(&build)
            .arg(format!("-DCMAKE_TOOLCHAIN_FILE={toolchain}"))
            .arg("-DCMAKE_BUILD_TYPE=Release")
            .env("NIXCROSS_ZIG", zig())
            .env("NIXCROSS_CACHE_DIR", tmp.path().join("cache"))
            .env("CMAKE_PREFIX_PATH", &host)
            .env("CMAKE_LIBRARY_PATH", host.join("lib"))
            .env("CMAKE_INCLUDE_PATH", host.join("include"))
            .env("PKG_CONFIG_PATH", host.join("lib/pkgconfig"));
        if let Ok(p) = std::env::var("NIXCROSS_PREWARMED_CACHE") {
            cmake.env("NIXCROSS_PREWARMED_CACHE", p);
        }
        let out = cmake.output().unwrap();
        assert!(
            out.status.success(),
            "{target}: cmake configure failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let probe = fs::read_to_string(build.join("probe.txt")).unwrap();
        let bt = &t["targets"][target]["build_tools"]["cmake"];
        for want in [
            "links=1".to_string(),
            format!("processor={}", bt["system_processor"].as_str().unwrap()),
            format!("system={}", bt["system_name"].as_str().unwrap()),
            "cross=TRUE".into(),
            "lib=HOSTONLY_LIB-NOTFOUND".into(),
            "inc=HOSTONLY_INC-NOTFOUND".into(),
            "pkgconfig=TRUE".into(),
        ] {
            assert!(
                probe.lines().any(|l| l == want),
                "{target}: want {want}, got:\n{probe}"
            );
        }
        assert!(
            !probe.contains("pc=1"),
            "{target}: pkg-config found the host's hostonly.pc:\n{probe}"
        );
        let out = Command::new("cmake")
            .arg("--build")
            .arg(&build)
            .env("NIXCROSS_ZIG", zig())
            .env("NIXCROSS_CACHE_DIR", tmp.path().join("cache"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{target}: cmake --build failed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        let check = Command::new(NIXCROSS)
            .args(["check", "--target", target])
            .arg(build.join("libprobe.a"))
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{target}: {}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
    }
}

/// The pkg-config crate (and CMake) asking for a library while the build machine's .pc
/// files are on PKG_CONFIG_PATH: refused with the fix named; with the target's .pc
/// files given, those are used and the host's are not.
#[test]
fn pkg_config_never_hands_a_cross_build_the_host_libraries() {
    need("pkg-config");
    let tmp = tempfile::tempdir().unwrap();
    let links = tmp.path().join("links");
    let out = Command::new(NIXCROSS)
        .args(["links", "--dir"])
        .arg(&links)
        .output()
        .unwrap();
    assert!(out.status.success());
    let pc = |dir: &Path, prefix: &str| {
        fs::create_dir_all(dir).unwrap();
        fs::write(
            dir.join("zlib.pc"),
            format!("prefix={prefix}\nName: zlib\nDescription: d\nVersion: 1.3\nLibs: -L${{prefix}}/lib -lz\nCflags: -I${{prefix}}/include\n"),
        )
        .unwrap();
    };
    let host = tmp.path().join("host-pc");
    pc(&host, "/usr");
    let target_pc = tmp.path().join("sysroot/usr/lib/pkgconfig");
    pc(&target_pc, "/usr");
    let guard = links.join("nixcross-x86_64-pc-windows-gnu-pkg-config");
    let run = |env: &[(&str, &Path)]| {
        let mut cmd = Command::new(&guard);
        cmd.args(["--libs", "--cflags", "zlib"])
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("PKG_CONFIG_PATH", &host)
            .env("PKG_CONFIG_ALLOW_CROSS", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let refused = run(&[]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(
        refused.stdout.is_empty(),
        "host flags printed: {}",
        String::from_utf8_lossy(&refused.stdout)
    );
    assert!(
        err.contains("refused for x86_64-pc-windows-gnu")
            && err.contains("PKG_CONFIG_LIBDIR_x86_64_pc_windows_gnu"),
        "{err}"
    );
    // The target's sysroot, as the pkg-config crate reads it (target-specific names).
    let sysroot = tmp.path().join("sysroot");
    let ok = run(&[
        ("PKG_CONFIG_LIBDIR_x86_64_pc_windows_gnu", &target_pc),
        ("PKG_CONFIG_SYSROOT_DIR_x86_64_pc_windows_gnu", &sysroot),
    ]);
    let flags = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        flags.contains(&format!("-I{}/usr/include", sysroot.display()))
            && flags.contains(&format!("-L{}/usr/lib", sysroot.display())),
        "flags must point into the target sysroot: {flags}"
    );
    // Without the sysroot the only zlib.pc is the target's, whatever PKG_CONFIG_PATH says:
    // take the host's away from the target's and the query fails.
    fs::remove_file(target_pc.join("zlib.pc")).unwrap();
    let gone = run(&[("PKG_CONFIG_LIBDIR_x86_64_pc_windows_gnu", &target_pc)]);
    assert!(
        !gone.status.success(),
        "the host's zlib.pc was used: {}",
        String::from_utf8_lossy(&gone.stdout)
    );
    // CMake's FindPkgConfig asks for the version first: answered.
    let v = Command::new(&guard).arg("--version").output().unwrap();
    assert!(v.status.success() && !v.stdout.is_empty());
}
