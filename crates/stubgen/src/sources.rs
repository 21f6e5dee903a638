//! The data the generator reads (`crates/nixcross/stubs/darwin/sources.json`): which
//! libraries get a stub and why, which pinned crates declare their symbols, and how to
//! evaluate `cfg` for a macOS target.

use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    pub schema_version: u32,
    /// For people reading the file.
    #[serde(default, rename = "comment")]
    _comment: serde::de::IgnoredAny,
    /// Rust `target_arch` -> the tbd targets its symbols are exported for.
    pub architectures: BTreeMap<String, Vec<String>>,
    pub cfg: CfgSettings,
    /// Keyed by the name crates link (`#[link(name = "CoreFoundation")]`, `-lobjc` -> "objc").
    pub libraries: BTreeMap<String, Library>,
    pub crates: Vec<CrateSource>,
    /// Corrections to what crates declare, checked against Apple's SDKs: a symbol that
    /// lives in another library than the block declaring it says, or that no library
    /// exports on some architectures (a stub exporting it would let a link succeed that
    /// dyld then fails at launch).
    #[serde(default)]
    pub symbols: BTreeMap<String, SymbolFix>,
    /// What every supported macOS has besides the stubbed libraries (zig links libSystem
    /// itself; a user's SDK can link the rest): `nixcross check` accepts these as system.
    pub also_system: AlsoSystem,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CfgSettings {
    /// `name` or `key=value` predicates that hold for macOS.
    #[serde(rename = "true")]
    pub truths: BTreeSet<String>,
    /// Predicates that do not hold; any `key=value` of a key listed in `closed_keys` that is
    /// not in `true` is false too.
    #[serde(rename = "false")]
    pub falses: BTreeSet<String>,
    pub closed_keys: BTreeSet<String>,
    /// Cargo features taken as off (every other feature is on, so stubs cover every
    /// feature a user may turn on): alternative runtimes such as GNUstep, unstable
    /// features. `prefix*` matches every feature starting with `prefix`.
    pub features_off: BTreeSet<String>,
}

impl CfgSettings {
    pub fn feature_off(&self, feature: &str) -> bool {
        self.features_off.iter().any(|f| match f.strip_suffix('*') {
            Some(prefix) => feature.starts_with(prefix),
            None => f == feature,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Framework,
    Dylib,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Library {
    pub kind: Kind,
    pub install_name: String,
    pub current_version: String,
    pub compatibility_version: String,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CrateSource {
    pub name: String,
    pub version: String,
    /// Of the `.crate` file, as crates.io's index records it (`cksum`).
    pub sha256: String,
    /// The library that extern blocks without their own `#[link]` belong to: the crate
    /// links it from its root or its build script. None: only blocks that name a library
    /// count (the others declare libSystem functions, which zig provides).
    #[serde(default)]
    pub library: Option<String>,
    /// With `library`: only unattributed blocks in files under these paths belong to it.
    #[serde(default)]
    pub library_paths: Vec<String>,
    /// With `library`: files under these paths are left out (they declare libSystem
    /// functions, which must bind to libSystem, not to this library).
    #[serde(default)]
    pub exclude_paths: Vec<String>,
    /// Macros whose body is a list of foreign functions (`extern_c! { pub fn f(); }`).
    #[serde(default)]
    pub extern_macros: Vec<String>,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SymbolFix {
    /// The library that really exports it.
    #[serde(default)]
    pub library: Option<String>,
    /// Rust `target_arch`es on which no library exports it.
    #[serde(default)]
    pub not_on: Vec<String>,
    pub why: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlsoSystem {
    pub why: String,
    /// Install names under /usr/lib.
    pub libraries: Vec<String>,
    /// Framework names: `/System/Library/Frameworks/<F>.framework/Versions/<any>/<F>`.
    pub frameworks: Vec<String>,
}

impl Library {
    /// Where the stub lives below the stubs directory: `-F <dir>/Frameworks` finds
    /// `X.framework/X.tbd`, `-L <dir>/lib` finds `libX.tbd`.
    pub fn stub_path(&self, link_name: &str) -> String {
        match self.kind {
            Kind::Framework => format!("Frameworks/{link_name}.framework/{link_name}.tbd"),
            Kind::Dylib => format!("lib/lib{link_name}.tbd"),
        }
    }
}

pub fn load(path: &Path) -> Result<Sources, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let sources: Sources =
        serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", path.display()))?;
    if sources.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "{} has schema_version {}, this generator reads {SCHEMA_VERSION}",
            path.display(),
            sources.schema_version
        ));
    }
    for (sym, fix) in &sources.symbols {
        if let Some(lib) = &fix.library {
            if !sources.libraries.contains_key(lib) {
                return Err(format!(
                    "symbols.{sym} names library {lib}, which has no entry in libraries"
                ));
            }
        }
        if let Some(a) = fix
            .not_on
            .iter()
            .find(|a| !sources.architectures.contains_key(*a))
        {
            return Err(format!(
                "symbols.{sym}: not_on names unknown architecture {a}"
            ));
        }
        if fix.why.len() < 20 {
            return Err(format!(
                "symbols.{sym} needs a why: the evidence for the correction"
            ));
        }
        if fix.library.is_none() && fix.not_on.is_empty() {
            return Err(format!(
                "symbols.{sym} neither moves the symbol nor removes it"
            ));
        }
    }
    for c in &sources.crates {
        if let Some(lib) = &c.library {
            if !sources.libraries.contains_key(lib) {
                return Err(format!(
                    "crate {} names library {lib}, which has no entry in libraries",
                    c.name
                ));
            }
        } else if !c.library_paths.is_empty() {
            return Err(format!("crate {}: library_paths without library", c.name));
        }
    }
    Ok(sources)
}
