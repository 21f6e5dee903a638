//! Gets the `.crate` file of a pinned crate (cargo's download cache, our own cache, or
//! crates.io), checks it against the sha256 in sources.json and unpacks its sources.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Cargo's own download cache: `$CARGO_HOME/registry/cache/<index>/<name>-<version>.crate`.
fn cargo_cached(file: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
    let dirs = std::fs::read_dir(home.join("registry/cache")).ok()?;
    dirs.flatten()
        .map(|d| d.path().join(file))
        .find(|p| p.is_file())
}

pub fn crate_file(
    name: &str,
    version: &str,
    sha256: &str,
    cache: &Path,
) -> Result<Vec<u8>, String> {
    let file = format!("{name}-{version}.crate");
    let ours = cache.join(&file);
    for candidate in [Some(ours.clone()), cargo_cached(&file)]
        .into_iter()
        .flatten()
    {
        if let Ok(data) = std::fs::read(&candidate) {
            if sha256_hex(&data) == sha256 {
                return Ok(data);
            }
        }
    }
    std::fs::create_dir_all(cache).map_err(|e| format!("creating {}: {e}", cache.display()))?;
    let url = format!("https://static.crates.io/crates/{name}/{file}");
    let tmp = cache.join(format!(".{file}.{}", std::process::id()));
    let out = Command::new("curl")
        .args(["-fsSL", "--retry", "3", "-o"])
        .arg(&tmp)
        .arg(&url)
        .output()
        .map_err(|e| {
            format!(
                "running curl for {url}: {e} (install curl, or put {file} in {})",
                cache.display()
            )
        })?;
    if !out.status.success() {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "downloading {url} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let data = std::fs::read(&tmp).map_err(|e| format!("reading {}: {e}", tmp.display()))?;
    let got = sha256_hex(&data);
    if got != sha256 {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "{url} has sha256 {got}, sources.json pins {sha256}: refusing it"
        ));
    }
    std::fs::rename(&tmp, &ours).map_err(|e| format!("renaming to {}: {e}", ours.display()))?;
    Ok(data)
}

/// The crate's text files (`.rs`, `Cargo.toml`) by path below its root directory.
pub fn unpack(name: &str, version: &str, data: &[u8]) -> Result<BTreeMap<String, String>, String> {
    let prefix = format!("{name}-{version}/");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(data));
    let mut files = BTreeMap::new();
    let entries = archive
        .entries()
        .map_err(|e| format!("reading {name}-{version}.crate: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("reading {name}-{version}.crate: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("{name}-{version}.crate: {e}"))?
            .to_string_lossy()
            .into_owned();
        let Some(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if !(rel.ends_with(".rs") || rel == "Cargo.toml") {
            continue;
        }
        let mut text = String::new();
        if entry.read_to_string(&mut text).is_ok() {
            files.insert(rel.to_string(), text);
        }
    }
    Ok(files)
}

/// The library root: `[lib] path` of the normalized Cargo.toml, else `src/lib.rs`.
pub fn lib_root(files: &BTreeMap<String, String>) -> String {
    let manifest = files.get("Cargo.toml").map(String::as_str).unwrap_or("");
    let mut in_lib = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_lib = line == "[lib]";
        } else if in_lib {
            if let Some(v) = line.strip_prefix("path = ") {
                return v.trim_matches('"').to_string();
            }
        }
    }
    "src/lib.rs".into()
}

/// `cargo:rustc-link-lib=[KIND=]NAME` lines a build script may print, as (name, kind).
pub fn build_script_links(files: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let Some(text) = files.get("build.rs") else {
        return vec![];
    };
    let mut out = Vec::new();
    for marker in ["rustc-link-lib=", "rustc-link-lib:"] {
        for (i, _) in text.match_indices(marker) {
            let rest = &text[i + marker.len()..];
            let spec: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "=_-.:+".contains(*c))
                .collect();
            let (kind, name) = match spec.split_once('=') {
                Some((k, n)) => (k.to_string(), n.to_string()),
                None => ("dylib".to_string(), spec.clone()),
            };
            if !name.is_empty() {
                out.push((name, kind));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_script_link_requests_are_read_with_their_kind() {
        let mut files = BTreeMap::new();
        files.insert(
            "build.rs".to_string(),
            r#"fn main() { if apple { println!("cargo:rustc-link-lib=framework=IOKit"); println!("cargo::rustc-link-lib=z"); } }"#
                .to_string(),
        );
        assert_eq!(
            build_script_links(&files),
            [
                ("IOKit".to_string(), "framework".to_string()),
                ("z".to_string(), "dylib".to_string())
            ]
        );
    }

    #[test]
    fn lib_root_reads_the_manifest() {
        let mut files = BTreeMap::new();
        files.insert(
            "Cargo.toml".to_string(),
            "[package]\nname = \"x\"\n[lib]\nname = \"x\"\npath = \"src/x.rs\"\n".to_string(),
        );
        assert_eq!(lib_root(&files), "src/x.rs");
        files.clear();
        assert_eq!(lib_root(&files), "src/lib.rs");
    }
}
