//! `nixcross bundle`: one release directory from every target's binaries. Each target's
//! binaries are checked (the same checks as `nixcross check`), packed the way that
//! platform expects (`.zip` for Windows, `.tar.gz` otherwise) as
//! `<name>-<version>-<target>.<ext>` holding a `<name>-<version>-<target>/` directory,
//! and listed in `SHA256SUMS` (for `sha256sum -c`) and `manifest.json`.
//!
//! Nothing is written until every input has passed its checks, so a release never holds
//! a wrong binary next to good ones.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::tools::archive::{self, Entry};
use crate::tools::inspect;
use crate::tools::stream;
use nixcross::error::{io, Error};
use nixcross::hot::table::{Kind, Table};

/// Bumped when a manifest field changes meaning.
pub const MANIFEST_SCHEMA: u32 = 1;

pub struct Request {
    pub name: String,
    pub version: String,
    pub out: PathBuf,
    /// (target, directory holding that target's binaries), in any order.
    pub inputs: Vec<(String, PathBuf)>,
    /// Files added to every archive next to the binaries (README, LICENSE).
    pub includes: Vec<PathBuf>,
    /// The time stamped on every archive entry (SOURCE_DATE_EPOCH).
    pub mtime: u64,
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub schema: u32,
    pub name: String,
    pub version: String,
    pub source_date_epoch: u64,
    pub artifacts: Vec<Artifact>,
}

#[derive(Debug, Serialize)]
pub struct Artifact {
    pub target: String,
    pub file: String,
    pub archive: String,
    pub size: u64,
    pub sha256: String,
    /// Every binary in the archive is static (no loader, no shared library).
    #[serde(rename = "static")]
    pub is_static: bool,
    pub binaries: Vec<Binary>,
}

#[derive(Debug, Serialize)]
pub struct Binary {
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub format: String,
    pub arch: String,
    #[serde(rename = "static")]
    pub is_static: bool,
    /// Shared libraries it loads (system ones only: anything else fails the checks).
    pub needs: Vec<String>,
    /// For signed Mach-O slices: what the code signature is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// `TARGET=DIR` (or `TARGET=FILE` for universal2) from the command line.
pub fn parse_input(arg: &str) -> Result<(String, PathBuf), Error> {
    match arg.split_once('=') {
        Some((t, d)) if !t.is_empty() && !d.is_empty() => Ok((t.to_string(), PathBuf::from(d))),
        _ => Err(Error::Usage(format!(
            "input '{arg}' is not TARGET=PATH (for example x86_64-pc-windows-gnu=result-windows/bin)"
        ))),
    }
}

/// Only names that are safe as one path component in every archive format and shell.
fn check_component(what: &str, value: &str) -> Result<(), Error> {
    let ok = !value.is_empty()
        && !value.starts_with('.')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.+".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "{what} '{value}' cannot name a release file: use letters, digits and - _ . +"
        )))
    }
}

/// The regular files of one input directory, sorted by name.
fn list_binaries(target: &str, dir: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let listing = fs::read_dir(dir).map_err(io(format!(
        "reading the {target} binaries in {}",
        dir.display()
    )))?;
    let mut files = Vec::new();
    for entry in listing {
        let entry = entry.map_err(io(format!("reading {}", dir.display())))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = fs::metadata(&path).map_err(io(format!("reading {}", path.display())))?;
        if meta.is_dir() {
            return Err(Error::Usage(format!(
                "{} is a directory: a bundle input is one target's bin/ directory, its binaries only (add other files with --include)",
                path.display()
            )));
        }
        files.push((name, path));
    }
    if files.is_empty() {
        return Err(Error::Usage(format!(
            "{} holds no binaries for {target}",
            dir.display()
        )));
    }
    files.sort();
    Ok(files)
}

/// Checks everything, then writes the archives, `SHA256SUMS` and `manifest.json` to
/// `req.out`, which must not hold files yet.
pub fn bundle(table: &Table, policy: &inspect::Policy, req: &Request) -> Result<Manifest, Error> {
    check_component("the name", &req.name)?;
    check_component("the version", &req.version)?;
    let mut inputs = req.inputs.clone();
    inputs.sort();
    for pair in inputs.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(Error::Usage(format!(
                "{} is given twice; one directory per target",
                pair[0].0
            )));
        }
    }
    if inputs.is_empty() {
        return Err(Error::Usage(
            "nothing to bundle: give TARGET=DIR for each target".into(),
        ));
    }
    let mut extra = Vec::new();
    for path in &req.includes {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::Usage(format!("--include {} names no file", path.display())))?;
        if extra.iter().any(|e: &Entry| e.name == name) {
            return Err(Error::Usage(format!(
                "two --include files are named {name}; an archive holds one entry per name"
            )));
        }
        extra.push(
            Entry::from_file(name, path, false)
                .map_err(io(format!("reading --include {}", path.display())))?,
        );
    }

    // Check every binary of every target before writing anything.
    let mut packed = Vec::new();
    let mut problems = Vec::new();
    for (target, dir) in &inputs {
        let archive_kind = match table.kind(target)? {
            Kind::Single(t) => t.output.archive.clone(),
            Kind::Universal(u) => u.archive.clone(),
        };
        let mut binaries = Vec::new();
        let mut entries = extra.clone();
        for (name, path) in list_binaries(target, dir)? {
            if extra.iter().any(|e| e.name == name) {
                return Err(Error::Usage(format!(
                    "--include file {name} has the same name as a {target} binary"
                )));
            }
            // The checks need the whole file; it is read again, in pieces, when packed.
            let data = fs::read(&path).map_err(io(format!("reading {}", path.display())))?;
            let report = inspect::inspect_for(table, target, &name, &data, policy)?;
            if !report.problems.is_empty() {
                problems.extend(
                    report
                        .problems
                        .iter()
                        .map(|p| format!("{target}: {}: {p}", dir.join(&name).display())),
                );
            }
            let entry = Entry::from_data(name.clone(), &path, &data, true);
            binaries.push(Binary {
                name,
                size: entry.size,
                sha256: stream::hex(&entry.sha256),
                format: report.format.clone(),
                arch: report.arch.clone(),
                is_static: report.is_static(),
                needs: report.libraries.clone(),
                signature: report.signature.as_ref().map(|s| s.describe()),
            });
            entries.push(entry);
        }
        packed.push((target.clone(), archive_kind, binaries, entries));
    }
    if !problems.is_empty() {
        return Err(Error::Check(format!(
            "not bundling: {} problem(s) found (nothing was written):\n  {}",
            problems.len(),
            problems.join("\n  ")
        )));
    }

    if req.out.exists()
        && fs::read_dir(&req.out)
            .map_err(io(format!("reading {}", req.out.display())))?
            .next()
            .is_some()
    {
        return Err(Error::Usage(format!(
            "{} already holds files; remove them or choose another --out",
            req.out.display()
        )));
    }
    // Written into a staging directory renamed into place at the end: an error half-way
    // (a full disk) leaves no partial release behind.
    let staging = crate::tools::universal::sibling(&req.out, "staging");
    if let Some(parent) = staging.parent() {
        fs::create_dir_all(parent).map_err(io(format!("creating {}", parent.display())))?;
    }
    fs::create_dir_all(&staging).map_err(io(format!("creating {}", staging.display())))?;
    let written = write_release(req, packed, &staging).and_then(|manifest| {
        fs::rename(&staging, &req.out).map_err(io(format!(
            "renaming {} to {}",
            staging.display(),
            req.out.display()
        )))?;
        Ok(manifest)
    });
    if written.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    written
}

/// Packs `entries` into the archive file `path`, streaming each from its file; returns
/// the archive's size and SHA-256 (read back: a zip's headers are filled in afterwards).
fn write_archive(
    kind: &str,
    top: &str,
    entries: &[Entry],
    mtime: u64,
    path: &Path,
) -> Result<(u64, stream::Sha256Digest), Error> {
    let written = File::create(path).and_then(|f| {
        let out = BufWriter::new(f);
        let mut out = match kind {
            "zip" => archive::zip(top, entries, mtime, out),
            "tar.gz" => archive::tar_gz(top, entries, mtime, out),
            other => {
                unreachable!("targets.json archive {other} (the table tests allow zip and tar.gz)")
            }
        }?;
        out.flush()
    });
    written.map_err(io(format!("packing {}", path.display())))?;
    stream::hash_file(path).map_err(io(format!("reading {}", path.display())))
}

type Packed = Vec<(String, String, Vec<Binary>, Vec<Entry>)>;

fn write_release(req: &Request, packed: Packed, dir: &Path) -> Result<Manifest, Error> {
    let mut artifacts = Vec::new();
    let mut sums = String::new();
    for (target, archive_kind, binaries, entries) in packed {
        let top = format!("{}-{}-{target}", req.name, req.version);
        let file = format!("{top}.{archive_kind}");
        let path = dir.join(&file);
        let (size, sha256) = write_archive(&archive_kind, &top, &entries, req.mtime, &path)?;
        let sha256 = stream::hex(&sha256);
        sums.push_str(&format!("{sha256}  {file}\n"));
        eprintln!(
            "nixcross: bundle: {file} ({} binaries, {size} bytes)",
            binaries.len()
        );
        artifacts.push(Artifact {
            is_static: binaries.iter().all(|b| b.is_static),
            target,
            file,
            archive: archive_kind,
            size,
            sha256,
            binaries,
        });
    }
    let manifest = Manifest {
        schema: MANIFEST_SCHEMA,
        name: req.name.clone(),
        version: req.version.clone(),
        source_date_epoch: req.mtime,
        artifacts,
    };
    let json = serde_json::to_string_pretty(&manifest).expect("manifest serializes") + "\n";
    for (file, text) in [
        ("SHA256SUMS", sums.as_str()),
        ("manifest.json", json.as_str()),
    ] {
        let path = dir.join(file);
        fs::write(&path, text).map_err(io(format!("writing {}", path.display())))?;
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_target_equals_dir() {
        assert_eq!(
            parse_input("x86_64-apple-darwin=out/bin").unwrap(),
            ("x86_64-apple-darwin".to_string(), PathBuf::from("out/bin"))
        );
        for bad in ["out/bin", "=out", "t="] {
            let e = parse_input(bad).unwrap_err().to_string();
            assert!(e.contains("TARGET=PATH"), "{e}");
        }
    }

    #[test]
    fn names_that_would_break_file_names_are_refused() {
        for bad in ["", "a/b", "a b", ".hidden", "v1;rm"] {
            assert!(check_component("the name", bad).is_err(), "{bad}");
        }
        for good in ["hello-cross", "1.2.3-rc.1+build.5", "my_tool"] {
            assert!(check_component("the name", good).is_ok(), "{good}");
        }
    }
}
