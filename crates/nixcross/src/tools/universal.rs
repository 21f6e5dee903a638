//! `nixcross universal2`: merges the x86_64 and arm64 macOS builds into universal
//! binaries. Inputs are named by target (`x86_64-apple-darwin=DIR`) and binaries are
//! paired by file name, never by position. Each input is checked against its own target
//! first (so swapped or wrong inputs are refused), and each output is checked slice by
//! slice, including the arm64 slice's code signature.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::tools::fat;
use crate::tools::inspect::{self, Policy};
use crate::tools::report::Report;
use crate::tools::stream;
use nixcross::error::{io, Error};
use nixcross::hot::table::{Kind, Table};

fn file_names(dir: &Path) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).map_err(io(format!("reading {}", dir.display())))? {
        let entry = entry.map_err(io(format!("reading {}", dir.display())))?;
        if fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// A thin input that passed its checks: where it is, and what it held then.
struct Checked {
    path: PathBuf,
    arch: Result<fat::Thin, String>,
    size: u64,
    sha256: stream::Sha256Digest,
}

/// Checks each input against its own target, holding one in memory at a time.
fn check_inputs(
    table: &Table,
    policy: &Policy,
    inputs: &[(String, PathBuf)],
    out: &Path,
) -> Result<Vec<Checked>, Error> {
    let mut checked = Vec::new();
    let mut problems = Vec::new();
    for (target, path) in inputs {
        let data = fs::read(path).map_err(io(format!("reading {}", path.display())))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        let report = inspect::inspect_for(table, target, &name, &data, policy)?;
        problems.extend(
            report
                .problems
                .iter()
                .map(|p| format!("{} (given as {target}): {p}", path.display())),
        );
        checked.push(Checked {
            path: path.clone(),
            arch: fat::thin_arch(&data).map(|(cputype, cpusubtype)| fat::Thin {
                cputype,
                cpusubtype,
                size: data.len() as u64,
            }),
            size: data.len() as u64,
            sha256: stream::hash_bytes(&data),
        });
    }
    if !problems.is_empty() {
        return Err(Error::Check(format!(
            "not merging {}:\n  {}",
            out.display(),
            problems.join("\n  ")
        )));
    }
    Ok(checked)
}

/// Writes the universal file to `path`, copying each checked input from its file in
/// pieces (and failing if one changed since its check).
fn write_merged(layout: &fat::Layout, inputs: &[Checked], path: &Path) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    fat::write(
        layout,
        |i| stream::Verified::open(&inputs[i].path, inputs[i].size, inputs[i].sha256),
        &mut out,
    )?;
    out.flush()?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
}

/// Merges one binary per slice target into `out`; returns the output's report.
fn merge_one(
    table: &Table,
    policy: &Policy,
    universal: &str,
    inputs: &[(String, PathBuf)],
    out: &Path,
) -> Result<Report, Error> {
    let checked = check_inputs(table, policy, inputs, out)?;
    let thin = checked
        .iter()
        .enumerate()
        .map(|(i, c)| c.arch.clone().map_err(|e| format!("input {i} {e}")))
        .collect::<Result<Vec<_>, _>>()
        .and_then(|thin| fat::layout(&thin))
        .map_err(|e| Error::Check(format!("{}: {e}", out.display())))?;
    if out.exists() {
        return Err(Error::Usage(format!(
            "{} already exists; remove it or choose another --out",
            out.display()
        )));
    }
    // Written under a temporary name, checked, and renamed: an error never leaves half a
    // file, and a file that fails its checks is not left either.
    let tmp = sibling(out, "part");
    let result = write_merged(&thin, &checked, &tmp)
        .map_err(io(format!("writing {}", out.display())))
        .and_then(|()| check_merged(table, policy, universal, &tmp, out))
        .and_then(|report| {
            fs::rename(&tmp, out).map_err(io(format!("writing {}", out.display())))?;
            Ok(report)
        });
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// The checks of the merged file at `tmp` (to be renamed to `out`), slice by slice.
fn check_merged(
    table: &Table,
    policy: &Policy,
    universal: &str,
    tmp: &Path,
    out: &Path,
) -> Result<Report, Error> {
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let report = inspect::inspect_universal_file(table, universal, &name, tmp, policy)?;
    if !report.problems.is_empty() {
        return Err(Error::Check(format!(
            "the merged {} failed its checks:\n  {}",
            out.display(),
            report.problems.join("\n  ")
        )));
    }
    Ok(report)
}

/// `inputs` are TARGET=PATH pairs: all files (one output file) or all directories (one
/// output per file name, which every directory must hold).
pub fn universal(
    table: &Table,
    policy: &Policy,
    universal: &str,
    inputs: &[(String, PathBuf)],
    out: &Path,
) -> Result<Vec<(PathBuf, Report)>, Error> {
    let Kind::Universal(u) = table.kind(universal)? else {
        return Err(Error::Usage(format!(
            "{universal} is not a universal target (see 'nixcross targets')"
        )));
    };
    let given: BTreeMap<&str, &PathBuf> = inputs.iter().map(|(t, p)| (t.as_str(), p)).collect();
    let wanted: Vec<&str> = u.slices.iter().map(String::as_str).collect();
    if given.len() != inputs.len()
        || !given.keys().copied().eq(wanted
            .iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>())
    {
        return Err(Error::Usage(format!(
            "{universal} is made from exactly one input per target: {} (got {})",
            wanted
                .iter()
                .map(|t| format!("{t}=PATH"))
                .collect::<Vec<_>>()
                .join(" "),
            inputs
                .iter()
                .map(|(t, _)| t.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let ordered: Vec<(String, PathBuf)> = wanted
        .iter()
        .map(|t| (t.to_string(), given[t].clone()))
        .collect();
    let dirs = ordered.iter().filter(|(_, p)| p.is_dir()).count();
    if dirs == 0 {
        return Ok(vec![(
            out.to_path_buf(),
            merge_one(table, policy, universal, &ordered, out)?,
        )]);
    }
    if dirs != ordered.len() {
        return Err(Error::Usage(
            "give either a binary per target or a directory per target, not a mix".into(),
        ));
    }
    let mut names_per_target = Vec::new();
    for (t, dir) in &ordered {
        names_per_target.push((t, file_names(dir)?));
    }
    let all: std::collections::BTreeSet<&String> =
        names_per_target.iter().flat_map(|(_, n)| n).collect();
    let mut unpaired = Vec::new();
    for (t, names) in &names_per_target {
        let missing: Vec<&str> = all
            .iter()
            .filter(|n| !names.contains(n))
            .map(|n| n.as_str())
            .collect();
        if !missing.is_empty() {
            unpaired.push(format!("{t} has no {}", missing.join(", ")));
        }
    }
    if !unpaired.is_empty() {
        return Err(Error::Usage(format!(
            "binaries are paired by file name and some have no partner: {}",
            unpaired.join("; ")
        )));
    }
    if all.is_empty() {
        return Err(Error::Usage(
            "the input directories hold no binaries".into(),
        ));
    }
    if out.exists() && fs::read_dir(out).map_or(true, |mut d| d.next().is_some()) {
        return Err(Error::Usage(format!(
            "{} already exists; remove it or choose another --out",
            out.display()
        )));
    }
    // Everything goes into a staging directory renamed into place at the end: a pair
    // that fails its checks leaves no output at all.
    let staging = sibling(out, "staging");
    fs::create_dir_all(&staging).map_err(io(format!("creating {}", staging.display())))?;
    let merged = (|| {
        let mut reports = Vec::new();
        for name in all {
            let pair: Vec<(String, PathBuf)> = ordered
                .iter()
                .map(|(t, dir)| (t.clone(), dir.join(name)))
                .collect();
            let report = merge_one(table, policy, universal, &pair, &staging.join(name))?;
            reports.push((out.join(name), report));
        }
        fs::rename(&staging, out).map_err(io(format!(
            "renaming {} to {}",
            staging.display(),
            out.display()
        )))?;
        Ok(reports)
    })();
    if merged.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    merged
}

/// `dir/.name.nixcross-<what>-<pid>` next to `path`: same file system, so a rename
/// puts it in place at once.
pub fn sibling(path: &Path, what: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    path.with_file_name(format!(".{name}.nixcross-{what}-{}", std::process::id()))
}
