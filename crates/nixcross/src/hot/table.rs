//! The target table (`targets.json`), embedded at build time. The Nix layer reads the
//! same file with `builtins.fromJSON`, so nothing per-target is written twice.

use serde::Deserialize;
use std::collections::BTreeMap;

use crate::error::Error;
use crate::hot::rules::{Action, CpuRewrite, Keyword, Matcher, Role, Rule};

/// Bumped when a field changes meaning; the Nix layer checks it too.
pub const SCHEMA_VERSION: u32 = 1;

pub const TABLE_JSON: &str = include_str!("../../targets.json");

include!(concat!(env!("OUT_DIR"), "/table_generated.rs"));

#[derive(Debug, PartialEq, Deserialize)]
pub struct Table {
    pub schema_version: u32,
    pub zig_tools: BTreeMap<String, Vec<String>>,
    pub ndk_tools: BTreeMap<String, String>,
    pub rule_sets: BTreeMap<String, Vec<Rule>>,
    pub targets: BTreeMap<String, Target>,
    /// Per OS: libraries every installation has, so outputs may load them (Windows DLLs;
    /// macOS's list lives with its stubs, stubs/darwin/sources.json).
    #[serde(default)]
    pub system_libraries: BTreeMap<String, Vec<String>>,
    /// Outputs made by merging other targets' binaries (universal2-apple-darwin).
    pub universal: BTreeMap<String, Universal>,
}

/// A universal Mach-O target: one file holding a slice built for each of `slices`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Universal {
    pub os: String,
    pub slices: Vec<String>,
    pub archive: String,
}

/// What a target name given on the command line refers to.
pub enum Kind<'a> {
    Single(&'a Target),
    Universal(&'a Universal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum LinkerKind {
    /// `zig cc` drives the link with its own linker (Mach-O, COFF through lld).
    #[serde(rename = "zig")]
    Zig,
    /// `zig cc` with its bundled LLD for ELF, forced static.
    #[serde(rename = "zig-lld")]
    ZigLld,
    /// The Android NDK's clang (`<triple><api>-clang`).
    #[serde(rename = "ndk-clang")]
    NdkClang,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Runner {
    /// Program names to look for on PATH, first found wins.
    pub programs: Vec<String>,
    pub nix_package: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Output {
    pub format: String,
    pub arch: String,
    #[serde(rename = "static")]
    pub is_static: bool,
    #[serde(default)]
    pub code_signature: Option<String>,
    /// The oldest OS version the outputs must run on (macOS: LC_BUILD_VERSION minos
    /// may not be above it, unless MACOSX_DEPLOYMENT_TARGET asks for a newer one).
    #[serde(default)]
    pub min_os_version: Option<String>,
    /// How release bundles pack this target: "tar.gz" or "zip".
    pub archive: String,
    /// The smallest PT_LOAD alignment an ELF output may have (Android: 16 KB pages,
    /// which Google Play requires since November 2025).
    #[serde(default)]
    pub min_load_alignment: Option<u64>,
    /// The table's `system_libraries` for this target's OS (filled in by `Table::load`):
    /// Windows DLLs every installation has, compared lower-case.
    #[serde(skip)]
    pub system_libraries: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Target {
    pub os: String,
    pub linker: LinkerKind,
    #[serde(default)]
    pub zig_target: Option<String>,
    #[serde(default)]
    pub ndk_triple: Option<String>,
    #[serde(default)]
    pub android_api: Option<u32>,
    pub rule_sets: Vec<String>,
    pub rustflags: Vec<String>,
    /// The set of link-time stubs (see `stubs.rs`) searched after any user SDK:
    /// "darwin" for macOS.
    #[serde(default)]
    pub link_stubs: Option<String>,
    /// `-l` names zig resolves itself for this target (its libSystem, libc++ …): a link
    /// asking for any other library needs a stub or a search path that provides it.
    #[serde(default)]
    pub zig_libraries: Vec<String>,
    /// Name of an empty directory in the links directory that `SDKROOT` points at when
    /// the user has no SDK: rustc then skips `xcrun` (and its warning on every link);
    /// zig links against its own libSystem stubs and headers either way.
    #[serde(default)]
    pub empty_sdkroot: Option<String>,
    pub runner: Option<Runner>,
    pub output: Output,
}

/// `11.0` or `10.12.1` -> (major, minor, patch).
pub fn parse_os_version(s: &str) -> Option<(u32, u32, u32)> {
    let mut parts = s.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

/// The zig target for `target`: the table's, with the macOS version raised to
/// MACOSX_DEPLOYMENT_TARGET when that asks for a newer one (rustc passes it to the linker
/// as -mmacosx-version-min, which zig ignores once -target carries a version).
pub fn zig_target_for<'a>(
    target: &'a Target,
    deployment_target: Option<&str>,
) -> Result<std::borrow::Cow<'a, str>, Error> {
    let zt = target
        .zig_target
        .as_deref()
        .expect("zig targets have zig_target");
    let (Some(asked), Some(min)) = (deployment_target, target.output.min_os_version.as_deref())
    else {
        return Ok(zt.into());
    };
    let want = parse_os_version(asked).ok_or_else(|| {
        Error::Usage(format!(
            "MACOSX_DEPLOYMENT_TARGET='{asked}' is not a macOS version such as 11.0 or 13.3"
        ))
    })?;
    let have = parse_os_version(min).expect("table tests check min_os_version");
    if want <= have {
        return Ok(zt.into());
    }
    let base = zt
        .strip_suffix(min)
        .expect("table tests check zig_target ends with min_os_version");
    Ok(format!("{base}{}", asked.trim()).into())
}

/// `nixcross-<target>-<role>`: the file name rustc and cc-rs call. The wrapper reads the
/// target and role back from its own argv[0]. (Names ending in `-ld`, `-gcc` or `-clang`
/// would change how rustc talks to the linker, so the role is `linker`, not `ld`.)
pub fn link_name(target: &str, role: crate::hot::rules::Role) -> String {
    format!("nixcross-{target}-{}", role.name())
}

/// Parses a `link_name` back into (target, role), without building the table.
pub fn parse_link_name(file_name: &str) -> Option<(&'static str, crate::hot::rules::Role)> {
    let rest = file_name.strip_prefix("nixcross-")?;
    // By suffix: a role's name may hold a '-' (pkg-config).
    crate::hot::rules::Role::ALL.into_iter().find_map(|role| {
        let target = rest.strip_suffix(role.name())?.strip_suffix('-')?;
        let name = TARGET_NAMES.iter().find(|n| **n == target)?;
        Some((*name, role))
    })
}

impl Table {
    /// The table, from Rust data build.rs generated from targets.json (no JSON parsing
    /// on the hot path).
    pub fn load() -> Table {
        generated()
    }

    /// The table with only `target` and the rule sets it names: what one wrapper call
    /// needs, built without the other targets' data (the whole table was most of a
    /// call's page faults). None for a target the table does not have.
    pub fn load_for(target: &str) -> Option<Table> {
        generated_for(target)
    }

    /// The table parsed from targets.json by serde: what `load` must equal (a unit test
    /// compares them).
    #[cfg(test)]
    pub fn load_json() -> Table {
        let mut table: Table =
            serde_json::from_str(TABLE_JSON).expect("embedded targets.json is valid");
        table.fill_system_libraries();
        table
    }

    #[cfg(test)]
    fn fill_system_libraries(&mut self) {
        assert_eq!(
            self.schema_version, SCHEMA_VERSION,
            "targets.json schema_version"
        );
        for t in self.targets.values_mut() {
            t.output.system_libraries = self
                .system_libraries
                .get(&t.os)
                .map(|l| l.iter().map(|d| d.to_ascii_lowercase()).collect())
                .unwrap_or_default();
        }
    }

    pub fn target(&self, name: &str) -> Result<&Target, Error> {
        self.targets.get(name).ok_or_else(|| Error::UnknownTarget {
            target: name.to_string(),
            known: self.targets.keys().cloned().collect(),
        })
    }

    /// A built target or a universal one; unknown names list both kinds.
    pub fn kind(&self, name: &str) -> Result<Kind<'_>, Error> {
        if let Some(u) = self.universal.get(name) {
            return Ok(Kind::Universal(u));
        }
        match self.targets.get(name) {
            Some(t) => Ok(Kind::Single(t)),
            None => Err(Error::UnknownTarget {
                target: name.to_string(),
                known: self
                    .targets
                    .keys()
                    .chain(self.universal.keys())
                    .cloned()
                    .collect(),
            }),
        }
    }

    /// All rules that apply to `target`, in table order (rule sets in the target's order).
    pub fn rules_for(&self, target: &Target) -> Vec<&Rule> {
        target
            .rule_sets
            .iter()
            .flat_map(|set| self.rule_sets.get(set).into_iter().flatten())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_table_is_exactly_targets_json() {
        // build.rs writes the table as Rust; serde reads the same file. Any field build.rs
        // misses or misreads shows up here.
        assert_eq!(Table::load(), Table::load_json());
    }

    #[test]
    fn the_per_call_table_is_the_whole_tables_target_and_its_rule_sets() {
        let all = Table::load();
        assert_eq!(
            TARGET_NAMES,
            all.targets.keys().map(String::as_str).collect::<Vec<_>>()
        );
        for (name, target) in &all.targets {
            let one = Table::load_for(name).expect("a table target");
            assert_eq!(one.targets.len(), 1);
            assert_eq!(&one.targets[name], target, "{name}");
            assert_eq!(one.zig_tools, all.zig_tools);
            assert_eq!(one.ndk_tools, all.ndk_tools);
            assert_eq!(
                one.rules_for(&one.targets[name]),
                all.rules_for(target),
                "{name}"
            );
        }
        assert!(Table::load_for("x86_64-unknown-linux-gnu").is_none());
    }

    #[test]
    fn table_parses_and_has_the_eight_targets() {
        let t = Table::load();
        assert_eq!(t.schema_version, SCHEMA_VERSION);
        let names: Vec<_> = t.targets.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "aarch64-apple-darwin",
                "aarch64-linux-android",
                "aarch64-pc-windows-gnullvm",
                "aarch64-unknown-linux-musl",
                "x86_64-apple-darwin",
                "x86_64-linux-android",
                "x86_64-pc-windows-gnu",
                "x86_64-unknown-linux-musl",
            ]
        );
    }

    #[test]
    fn every_rule_set_a_target_names_exists() {
        let t = Table::load();
        for (name, target) in &t.targets {
            for set in &target.rule_sets {
                assert!(
                    t.rule_sets.contains_key(set),
                    "{name} names missing rule set {set}"
                );
            }
        }
    }

    #[test]
    fn zig_targets_have_a_zig_triple_and_android_an_ndk_triple() {
        let t = Table::load();
        for (name, target) in &t.targets {
            match target.linker {
                LinkerKind::Zig | LinkerKind::ZigLld => {
                    assert!(target.zig_target.is_some(), "{name}")
                }
                LinkerKind::NdkClang => {
                    assert!(
                        target.ndk_triple.is_some() && target.android_api.is_some(),
                        "{name}"
                    )
                }
            }
        }
    }

    #[test]
    fn rule_ids_are_unique_and_explained() {
        let t = Table::load();
        let mut seen = std::collections::BTreeSet::new();
        for rule in t.rule_sets.values().flatten() {
            assert!(
                seen.insert(rule.id.clone()),
                "duplicate rule id {}",
                rule.id
            );
            assert!(rule.why.len() > 20, "rule {} needs a why", rule.id);
        }
    }

    #[test]
    fn link_stubs_name_the_one_stub_set_and_only_macos_uses_it() {
        let t = Table::load();
        for (name, target) in &t.targets {
            match target.link_stubs.as_deref() {
                Some(set) => {
                    assert_eq!(set, "darwin", "{name}");
                    assert_eq!(target.os, "macos", "{name}");
                    assert!(!target.zig_libraries.is_empty(), "{name}");
                }
                None => assert_ne!(target.os, "macos", "{name} links without the macOS stubs"),
            }
        }
    }

    #[test]
    fn macos_deployment_target_raises_the_zig_target_version() {
        // rustc passes MACOSX_DEPLOYMENT_TARGET as -mmacosx-version-min, which zig ignores
        // when -target carries a version: nixcross must put it into -target itself.
        let t = Table::load();
        let arm = t.target("aarch64-apple-darwin").unwrap();
        assert_eq!(zig_target_for(arm, None).unwrap(), "aarch64-macos.11.0");
        assert_eq!(
            zig_target_for(arm, Some("13.3")).unwrap(),
            "aarch64-macos.13.3"
        );
        assert_eq!(
            zig_target_for(arm, Some("10.15")).unwrap(),
            "aarch64-macos.11.0",
            "not below the table's"
        );
        let e = zig_target_for(arm, Some("thirteen"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("MACOSX_DEPLOYMENT_TARGET"), "{e}");
        let musl = t.target("x86_64-unknown-linux-musl").unwrap();
        assert_eq!(
            zig_target_for(musl, Some("13.3")).unwrap(),
            "x86_64-linux-musl"
        );
        assert_eq!(parse_os_version("10.12.1"), Some((10, 12, 1)));
        assert_eq!(parse_os_version("11"), Some((11, 0, 0)));
        assert_eq!(parse_os_version("1.2.3.4"), None);
    }

    #[test]
    fn macos_min_os_version_is_the_zig_target_version() {
        // zig stamps LC_BUILD_VERSION minos from the -target version; check compares
        // against min_os_version, so the two must agree.
        let t = Table::load();
        for (name, target) in t.targets.iter().filter(|(_, t)| t.os == "macos") {
            let v = target.output.min_os_version.as_deref().expect(name);
            let zt = target.zig_target.as_deref().unwrap();
            assert!(zt.ends_with(&format!("-macos.{v}")), "{name}: {zt} vs {v}");
        }
    }

    #[test]
    fn unknown_target_error_lists_the_known_ones() {
        let t = Table::load();
        let err = t
            .target("riscv64gc-unknown-linux-gnu")
            .unwrap_err()
            .to_string();
        assert!(err.contains("riscv64gc-unknown-linux-gnu"), "{err}");
        assert!(err.contains("x86_64-pc-windows-gnu"), "{err}");
    }

    #[test]
    fn universal_targets_name_darwin_slices_of_distinct_architectures() {
        let t = Table::load();
        assert!(!t.universal.is_empty());
        for (name, u) in &t.universal {
            let arches: std::collections::BTreeSet<_> = u
                .slices
                .iter()
                .map(|s| {
                    let target = t.target(s).unwrap_or_else(|_| panic!("{name}: {s}"));
                    assert_eq!(target.output.format, "macho", "{name}: {s}");
                    target.output.arch.clone()
                })
                .collect();
            assert_eq!(arches.len(), u.slices.len(), "{name}");
            assert!(matches!(t.kind(name), Ok(Kind::Universal(_))));
        }
        let e = t.kind("universal3-apple-darwin").err().unwrap().to_string();
        assert!(
            e.contains("universal2-apple-darwin") && e.contains("x86_64-pc-windows-gnu"),
            "{e}"
        );
    }

    #[test]
    fn windows_and_android_outputs_get_their_system_library_lists_and_others_none() {
        // sysinfo imports pdh.dll, powrprof.dll and combase.dll: Windows system DLLs,
        // which a static output may load; MinGW's runtime DLLs are not among them.
        let t = Table::load();
        for (name, target) in &t.targets {
            let libs = &target.output.system_libraries;
            if target.os == "windows" {
                for dll in ["kernel32.dll", "pdh.dll", "powrprof.dll", "combase.dll"] {
                    assert!(libs.iter().any(|l| l == dll), "{name}: {dll}");
                }
                assert!(!libs
                    .iter()
                    .any(|l| l.contains("winpthread") || l.contains("gcc")));
            } else if target.os == "android" {
                // The NDK's stable system libraries; its C++ runtime is not one.
                for so in [
                    "libc.so",
                    "libm.so",
                    "libdl.so",
                    "liblog.so",
                    "libandroid.so",
                ] {
                    assert!(libs.iter().any(|l| l == so), "{name}: {so}");
                }
                assert!(!libs.iter().any(|l| l.contains("c++_shared")), "{name}");
                assert_eq!(target.output.min_load_alignment, Some(16384), "{name}");
                assert!(
                    target
                        .rustflags
                        .iter()
                        .any(|f| f == "link-arg=-Wl,-z,max-page-size=16384"),
                    "{name}: the linker must be asked for 16 KB pages"
                );
            } else {
                assert!(libs.is_empty(), "{name}");
            }
        }
    }

    /// Windows users expect .zip; everyone else gets .tar.gz (what the bundler writes).
    #[test]
    fn archive_format_is_zip_exactly_for_windows() {
        let t = Table::load();
        for (name, target) in &t.targets {
            let want = if target.os == "windows" {
                "zip"
            } else {
                "tar.gz"
            };
            assert_eq!(target.output.archive, want, "{name}");
        }
    }
}
