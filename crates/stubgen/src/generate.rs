//! From sources.json and the pinned crates' sources to the stub files and `index.rs`
//! (the list nixcross compiles in).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::cfg::CfgEnv;
use crate::sources::{Kind, Sources};
use crate::{fetch, scan, tbd};

/// A generated file: path below the output directory, and contents.
pub type Files = BTreeMap<String, String>;

pub struct Report {
    pub lines: Vec<String>,
}

/// Library -> symbol -> tbd targets, plus which crates contributed to each library.
struct Collected {
    symbols: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    declared_by: BTreeMap<String, BTreeSet<String>>,
}

pub fn generate(sources: &Sources, cache: &Path) -> Result<(Files, Report), String> {
    let mut report = Report { lines: vec![] };
    let mut collected = Collected {
        symbols: BTreeMap::new(),
        declared_by: BTreeMap::new(),
    };
    // symbol -> (library, crate) of its first assignment, to find conflicts.
    let mut owner: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut not_stubbed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut conflicts: BTreeSet<String> = BTreeSet::new();
    let mut used_fixes: BTreeSet<String> = BTreeSet::new();
    for c in &sources.crates {
        let id = format!("{} {}", c.name, c.version);
        let data = fetch::crate_file(&c.name, &c.version, &c.sha256, cache)?;
        let files = fetch::unpack(&c.name, &c.version, &data)?;
        let root = fetch::lib_root(&files);
        let build_links = fetch::build_script_links(&files);
        let mut requested: BTreeMap<String, String> = build_links.into_iter().collect();
        let mut counts = BTreeMap::<String, usize>::new();
        let mut macro_items = 0;
        // Unattributed declarations that belong to no stubbed library, by file.
        let mut unassigned: BTreeMap<String, usize> = BTreeMap::new();
        for (arch, targets) in &sources.architectures {
            let env = CfgEnv {
                arch,
                settings: &sources.cfg,
            };
            let scanned = scan::scan(&files, &root, &env, &c.extern_macros)
                .map_err(|e| format!("{id}: {e}"))?;
            macro_items = macro_items.max(scanned.macro_items);
            requested.extend(scanned.links);
            for d in scanned.decls {
                let stubbed: Vec<&String> = d
                    .links
                    .iter()
                    .filter(|l| sources.libraries.contains_key(*l))
                    .collect();
                if stubbed.len() > 1 {
                    return Err(format!(
                        "{id}: {}: {} is in an extern block that links {}: which one exports it is ambiguous",
                        d.file,
                        d.symbol,
                        d.links.join(" and ")
                    ));
                }
                if stubbed.is_empty() && !d.links.is_empty() {
                    for l in &d.links {
                        not_stubbed
                            .entry(l.clone())
                            .or_default()
                            .insert(c.name.clone());
                    }
                    continue;
                }
                let library = match (stubbed.first(), &c.library) {
                    (Some(l), _) => (*l).clone(),
                    (None, Some(l))
                        if (c.library_paths.is_empty()
                            || c.library_paths.iter().any(|p| d.file.starts_with(p)))
                            && !c.exclude_paths.iter().any(|p| d.file.starts_with(p)) =>
                    {
                        l.clone()
                    }
                    _ => {
                        *unassigned.entry(d.file.clone()).or_default() += 1;
                        continue;
                    }
                };
                if sources
                    .symbols
                    .get(&d.symbol)
                    .is_some_and(|f| f.not_on.contains(arch))
                {
                    used_fixes.insert(d.symbol.clone());
                    continue;
                }
                let library = match sources
                    .symbols
                    .get(&d.symbol)
                    .and_then(|f| f.library.clone())
                {
                    Some(l) => {
                        used_fixes.insert(d.symbol.clone());
                        l
                    }
                    None => library,
                };
                if !tbd::valid_symbol(&d.symbol) {
                    return Err(format!(
                        "{id}: {} declares symbol {:?}, which the stub writer cannot spell",
                        d.file, d.symbol
                    ));
                }
                match owner.get(&d.symbol) {
                    Some((l, other)) if *l != library => {
                        conflicts.insert(format!(
                            "{} is declared for {l} by {other} and for {library} by {id}",
                            d.symbol
                        ));
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        owner.insert(d.symbol.clone(), (library.clone(), id.clone()));
                    }
                }
                *counts.entry(library.clone()).or_default() += 1;
                collected
                    .symbols
                    .entry(library.clone())
                    .or_default()
                    .entry(d.symbol)
                    .or_default()
                    .extend(targets.iter().cloned());
                collected
                    .declared_by
                    .entry(library)
                    .or_default()
                    .insert(id.clone());
            }
        }
        if let Some(lib) = &c.library {
            let want = match sources.libraries[lib].kind {
                Kind::Framework => "framework",
                Kind::Dylib => "dylib",
            };
            match requested.get(lib) {
                Some(kind) if kind == want => {}
                Some(kind) => {
                    return Err(format!(
                        "{id} links {lib} as kind {kind}, sources.json says {want}"
                    ))
                }
                None => {
                    return Err(format!(
                        "sources.json says {id} links {lib}, but neither its #[link] attributes nor its build script ask for it"
                    ))
                }
            }
        }
        let summary: Vec<String> = counts.iter().map(|(l, n)| format!("{l}: {n}")).collect();
        report.lines.push(format!(
            "{id} ({}): {}{}",
            c.why,
            if summary.is_empty() {
                "no declarations for a stubbed library".to_string()
            } else {
                summary.join(", ")
            },
            if macro_items > 0 {
                format!(" ({macro_items} macro invocations not expanded)")
            } else {
                String::new()
            }
        ));
        if !unassigned.is_empty() && std::env::var_os("STUBGEN_VERBOSE").is_some() {
            for (file, n) in &unassigned {
                report.lines.push(format!(
                    "  {id}: {file}: {n} declarations in blocks without #[link], not stubbed"
                ));
            }
        }
    }
    let stale: Vec<&String> = sources
        .symbols
        .keys()
        .filter(|s| !used_fixes.contains(*s))
        .collect();
    if !stale.is_empty() {
        return Err(format!(
            "sources.json corrects symbols no pinned crate declares any more: {stale:?}"
        ));
    }
    if !conflicts.is_empty() {
        return Err(format!(
            "{} symbols are declared for two libraries (dyld binds a symbol in one):\n  {}",
            conflicts.len(),
            conflicts.into_iter().collect::<Vec<_>>().join("\n  ")
        ));
    }
    for (lib, crates) in &not_stubbed {
        report.lines.push(format!(
            "not stubbed (an SDK must provide it): {lib}, linked by {}",
            crates.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    let files = write_files(sources, &collected)?;
    Ok((files, report))
}

fn write_files(sources: &Sources, collected: &Collected) -> Result<Files, String> {
    let targets: Vec<String> = {
        let mut t: Vec<String> = sources.architectures.values().flatten().cloned().collect();
        // x86_64 first, as Apple's own stubs list them.
        t.sort_by_key(|s| (!s.starts_with("x86_64"), s.clone()));
        t
    };
    let mut files = Files::new();
    let mut entries = Vec::new();
    for (name, lib) in &sources.libraries {
        let symbols = collected.symbols.get(name).cloned().unwrap_or_default();
        if symbols.is_empty() {
            return Err(format!(
                "library {name} gets no symbols: no pinned crate declares any for it"
            ));
        }
        let declared_by: Vec<String> = collected.declared_by[name].iter().cloned().collect();
        let header = vec![
            format!("Link-time stub of {}, written by nixcross-stubgen from", lib.install_name),
            "crates/nixcross/stubs/darwin/sources.json: do not edit; re-run `cargo run -p nixcross-stubgen`.".into(),
            "Every supported macOS has this library: the stub only lets a link without Apple's SDK".into(),
            format!("find it. Needed by: {}.", lib.why),
            format!("Symbols: those declared by {}.", declared_by.join(", ")),
        ];
        let path = lib.stub_path(name);
        let text = tbd::write(&tbd::Stub {
            install_name: &lib.install_name,
            current_version: &lib.current_version,
            compatibility_version: &lib.compatibility_version,
            header,
            targets: targets.clone(),
            symbols,
        });
        entries.push((
            name.clone(),
            lib.kind,
            path.clone(),
            lib.install_name.clone(),
        ));
        files.insert(path, text);
    }
    let mut h = Sha256::new();
    for (path, text) in &files {
        h.update(path.as_bytes());
        h.update([0]);
        h.update(text.as_bytes());
        h.update([0]);
    }
    let id: String = h.finalize()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut rs = String::from(
        "// @generated by nixcross-stubgen from sources.json: do not edit, re-run\n\
         // `cargo run -p nixcross-stubgen`. Included by crates/nixcross/src/stubs.rs.\n\n",
    );
    rs.push_str("/// Hash of every stub's path and contents: names the cache directory they are written to.\n");
    rs.push_str(&format!("pub const STUBS_ID: &str = \"{id}\";\n\n"));
    rs.push_str("pub const STUBS: &[Stub] = &[\n");
    for (name, kind, path, install) in &entries {
        let kind = match kind {
            Kind::Framework => "Framework",
            Kind::Dylib => "Dylib",
        };
        rs.push_str(&format!(
            "    Stub {{\n        link_name: \"{name}\",\n        kind: StubKind::{kind},\n        path: \"{path}\",\n        install_name: \"{install}\",\n        text: include_str!(\"{path}\"),\n    }},\n"
        ));
    }
    rs.push_str("];\n\n");
    rs.push_str(&format!(
        "/// sources.json `also_system`: {}\n",
        sources.also_system.why
    ));
    rs.push_str("pub const ALSO_SYSTEM_LIBRARIES: &[&str] = &[\n");
    for l in &sources.also_system.libraries {
        rs.push_str(&format!("    \"{l}\",\n"));
    }
    rs.push_str("];\n\n/// Loaded as /System/Library/Frameworks/<F>.framework/Versions/<V>/<F>.\n");
    rs.push_str("pub const ALSO_SYSTEM_FRAMEWORKS: &[&str] = &[\n");
    for f in &sources.also_system.frameworks {
        rs.push_str(&format!("    \"{f}\",\n"));
    }
    rs.push_str("];\n");
    files.insert("index.rs".into(), rs);
    Ok(files)
}
