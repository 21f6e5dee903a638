//! `imports`: for Mach-O binaries linked against the stubs, every symbol bound to a
//! stubbed library (two-level namespace: the library ordinal in the symbol's n_desc) must
//! be exported by that library's stub for the binary's architecture. Proves the stubs
//! resolve what real crates import, under the install name dyld will load.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use object::macho::{self, LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB};
use object::read::macho::{MachHeader, MachOFile64, Nlist};
use object::{Endianness, Object};

use crate::tbd;

fn stubs(dir: &Path) -> Result<BTreeMap<String, (String, tbd::Parsed)>, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .map_err(|e| format!("{}: {e}", d.display()))?
            .flatten()
        {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "tbd") {
                let text =
                    std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
                let parsed = tbd::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?;
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(parsed.install_name.clone(), (rel, parsed));
            }
        }
    }
    Ok(out)
}

/// (install name, symbol) for every undefined symbol with a library ordinal.
fn imports(data: &[u8]) -> Result<(String, Vec<(String, String)>), String> {
    let file =
        MachOFile64::<Endianness>::parse(data).map_err(|e| format!("not a 64-bit Mach-O: {e}"))?;
    let endian = file.endian();
    let arch = match file.architecture() {
        object::Architecture::X86_64 => "x86_64-macos",
        object::Architecture::Aarch64 => "arm64-macos",
        a => return Err(format!("unexpected architecture {a:?}")),
    };
    let mut dylibs = Vec::new();
    let mut commands = file
        .macho_header()
        .load_commands(endian, data, 0)
        .map_err(|e| e.to_string())?;
    while let Ok(Some(cmd)) = commands.next() {
        if matches!(
            cmd.cmd(),
            LC_LOAD_DYLIB | LC_LOAD_WEAK_DYLIB | LC_REEXPORT_DYLIB
        ) {
            if let Ok(Some(d)) = cmd.dylib() {
                let name = cmd
                    .string(endian, d.dylib.name)
                    .map_err(|e| e.to_string())?;
                dylibs.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    }
    let symtab = file.macho_symbol_table();
    let mut out = Vec::new();
    for nlist in symtab.iter() {
        if nlist.is_stab()
            || (nlist.n_type() & macho::N_TYPE) != macho::N_UNDF
            || nlist.n_type() & macho::N_EXT == 0
        {
            continue;
        }
        let ordinal = ((nlist.n_desc(endian) >> 8) & 0xff) as usize;
        if ordinal == 0 || ordinal > dylibs.len() {
            continue; // self, executable or flat lookup: not bound to a library
        }
        let name = nlist
            .name(endian, symtab.strings())
            .map_err(|e| e.to_string())?;
        out.push((
            dylibs[ordinal - 1].clone(),
            String::from_utf8_lossy(name).into_owned(),
        ));
    }
    Ok((arch.to_string(), out))
}

pub fn run(dir: &Path, files: &[PathBuf]) -> Result<i32, String> {
    let stubs = stubs(dir)?;
    let mut failed = 0;
    for f in files {
        let data = std::fs::read(f).map_err(|e| format!("reading {}: {e}", f.display()))?;
        let (arch, imported) = imports(&data).map_err(|e| format!("{}: {e}", f.display()))?;
        let mut per_lib: BTreeMap<&str, usize> = BTreeMap::new();
        let mut missing = Vec::new();
        for (lib, sym) in &imported {
            let Some((path, stub)) = stubs.get(lib) else {
                continue;
            };
            if stub.exports.get(&arch).is_some_and(|s| s.contains(sym)) {
                *per_lib.entry(path.as_str()).or_default() += 1;
            } else {
                missing.push(format!(
                    "{sym} (bound to {lib}) is not exported by {path} for {arch}"
                ));
            }
        }
        if missing.is_empty() {
            let libs: Vec<String> = per_lib
                .iter()
                .map(|(p, n)| format!("{n} from {p}"))
                .collect();
            println!(
                "ok: {}: {}",
                f.display(),
                if libs.is_empty() {
                    "imports nothing from a stubbed library".into()
                } else {
                    libs.join(", ")
                }
            );
        } else {
            failed += 1;
            for m in missing {
                println!("FAIL: {}: {m}", f.display());
            }
        }
    }
    Ok(if failed > 0 { 1 } else { 0 })
}
