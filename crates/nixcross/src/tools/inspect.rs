//! Checks a built program or library against its platform's contract, from the table:
//! container format and architecture from the headers, static linkage (no interpreter or
//! shared-library dependencies for musl; only Windows system DLLs for windows; only the
//! NDK's system libraries for Android), the dylibs a Mach-O loads (system only, none
//! twice), its code signature and deployment target; for libraries their own rules
//! (an ELF SONAME, DLL exports and subsystem, a dylib's install name, the objects in a
//! static archive); Android's 16 KB segment alignment; and no build-machine paths
//! (`leaks.rs`).

use object::elf::{DT_NEEDED, DT_SONAME, DT_STRTAB, ET_DYN, PT_DYNAMIC, PT_INTERP, PT_LOAD};
use object::macho::{LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB};
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::read::macho::{MachHeader, MachOFile64};
use object::{BinaryFormat, Endianness, Object};

use std::path::PathBuf;

use crate::tools::codesign;
use crate::tools::fat;
use crate::tools::leaks::{self, PathPolicy};
use crate::tools::report::{arch_name, version_text, OutputKind, Report};
use crate::tools::staticlib;
use nixcross::error::Error;
use nixcross::hot::stubs;
use nixcross::hot::table::{self, Kind, Output, Table, Universal};

/// What the user's build environment adds to the table's expectations.
#[derive(Debug, Default, Clone)]
pub struct Policy {
    /// NIXCROSS_DARWIN_SDK: frameworks this SDK holds count as macOS system frameworks.
    pub darwin_sdk: Option<PathBuf>,
    /// MACOSX_DEPLOYMENT_TARGET: the newest LC_BUILD_VERSION minos allowed, if above
    /// the table's min_os_version.
    pub macos_deployment_target: Option<String>,
    /// Build-machine paths an output must not contain.
    pub paths: PathPolicy,
    /// The install name a dylib must have, when the user set one on purpose (default:
    /// `@rpath/<file name>`, what rustc gives a cdylib).
    pub install_name: Option<String>,
}

impl Policy {
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Policy {
        let set = |k: &str| env(k).filter(|s| !s.is_empty());
        Policy {
            darwin_sdk: set("NIXCROSS_DARWIN_SDK").map(PathBuf::from),
            macos_deployment_target: set("MACOSX_DEPLOYMENT_TARGET"),
            paths: PathPolicy::from_env(env, &[], &[]),
            install_name: None,
        }
    }
}

/// Checks `data` as an output of `target`: a thin binary against that target's
/// expectations, a universal file slice by slice against each slice's target.
/// `name` is the file's name (`.dll`, `.so`, `.dylib`, `.a` say what it should be).
pub fn inspect_for(
    table: &Table,
    target: &str,
    name: &str,
    data: &[u8],
    policy: &Policy,
) -> Result<Report, Error> {
    let mut report = match table.kind(target)? {
        Kind::Single(t) => inspect(data, name, &t.os, &t.output, policy),
        Kind::Universal(u) => inspect_universal(table, u, name, data, policy),
    };
    report
        .problems
        .extend(leak_problem(&leaks::find(data, &policy.paths, LEAKS_SHOWN)));
    Ok(report)
}

/// How many leaked paths a report names.
const LEAKS_SHOWN: usize = 5;

fn leak_problem(leaked: &[String]) -> Option<String> {
    if leaked.is_empty() {
        return None;
    }
    Some(format!(
        "contains build-machine paths ({}): remap them (--remap-path-prefix; the Nix layer and `nixcross env` do so for cargo's sources), or allow an intended one with --allow-path",
        leaked
            .iter()
            .map(|l| format!("'{l}'"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

/// `inspect_for` of the universal file at `path` for the universal target `universal`,
/// read one slice at a time: universal2's outputs are as big as all their inputs
/// together, and are checked without holding them in memory.
pub fn inspect_universal_file(
    table: &Table,
    universal: &str,
    name: &str,
    path: &std::path::Path,
    policy: &Policy,
) -> Result<Report, Error> {
    use std::io::{Read, Seek, SeekFrom};
    let Kind::Universal(u) = table.kind(universal)? else {
        return Err(Error::Usage(format!(
            "{universal} is not a universal target (see 'nixcross targets')"
        )));
    };
    let io = |source| Error::Io {
        what: format!("reading {}", path.display()),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut head = Vec::new();
    (&mut file)
        .take(fat::MAX_HEADER_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let mut leaked = Vec::new();
    let mut load = |i: usize, arch: &fat::Arch| -> Result<Vec<u8>, String> {
        let mut data = vec![0; usize::try_from(arch.size).map_err(|e| e.to_string())?];
        file.seek(SeekFrom::Start(arch.offset))
            .and_then(|_| file.read_exact(&mut data))
            .map_err(|e| format!("reading slice {i}: {e}"))?;
        fat::check_slice(i, arch, &data)?;
        for l in leaks::find(&data, &policy.paths, LEAKS_SHOWN) {
            if !leaked.contains(&l) && leaked.len() < LEAKS_SHOWN {
                leaked.push(l);
            }
        }
        Ok(data)
    };
    let mut report = universal_report(table, u, name, policy, fat::arches(&head, len), &mut load);
    report.problems.extend(leak_problem(&leaked));
    Ok(report)
}

fn inspect_universal(
    table: &Table,
    u: &Universal,
    name: &str,
    data: &[u8],
    policy: &Policy,
) -> Report {
    // Every slice's own header is checked (fat::slices) before any is inspected.
    let arches = fat::slices(data).and_then(|_| fat::arches(data, data.len() as u64));
    let mut load = |_: usize, a: &fat::Arch| -> Result<&[u8], String> {
        Ok(&data[a.offset as usize..(a.offset + a.size) as usize])
    };
    universal_report(table, u, name, policy, arches, &mut load)
}

/// The report on a universal file with the slices `arches` (or the problem with its
/// header), each slice checked against its target's expectations as it is loaded.
fn universal_report<D: AsRef<[u8]>>(
    table: &Table,
    u: &Universal,
    name: &str,
    policy: &Policy,
    arches: Result<Vec<fat::Arch>, String>,
    load: &mut dyn FnMut(usize, &fat::Arch) -> Result<D, String>,
) -> Report {
    let mut r = Report {
        format: "macho-universal".into(),
        ..Report::default()
    };
    let unusable = |r: &mut Report, e: String| {
        r.problems.push(format!(
            "{e}; expected one file with slices for {}",
            u.slices.join(" and ")
        ));
    };
    let arches = match arches {
        Ok(a) => a,
        Err(e) => {
            unusable(&mut r, e);
            return r;
        }
    };
    let mut names = Vec::new();
    for slice_name in &u.slices {
        let slice_target = &table.targets[slice_name];
        let expect = &slice_target.output;
        let mut matching = arches
            .iter()
            .enumerate()
            .filter(|(_, a)| fat::arch_name(a.cputype) == expect.arch);
        let (Some((i, arch)), None) = (matching.next(), matching.next()) else {
            r.problems.push(format!(
                "needs exactly one {} slice (for {slice_name})",
                expect.arch
            ));
            continue;
        };
        let data = match load(i, arch) {
            Ok(d) => d,
            Err(e) => {
                unusable(&mut r, e);
                return r;
            }
        };
        let thin = inspect(data.as_ref(), name, &slice_target.os, expect, policy);
        r.problems.extend(
            thin.problems
                .iter()
                .map(|p| format!("{} slice: {p}", expect.arch)),
        );
        for lib in thin.libraries {
            if !r.libraries.contains(&lib) {
                r.libraries.push(lib);
            }
        }
        if thin.signature.is_some() {
            r.signature = thin.signature;
        }
        r.kind = thin.kind;
        r.soname = thin.soname;
        r.exports = thin.exports;
        names.push(expect.arch.clone());
    }
    if arches.len() != u.slices.len() {
        r.problems.push(format!(
            "has {} slices, expected {} ({})",
            arches.len(),
            u.slices.len(),
            u.slices.join(", ")
        ));
    }
    r.arch = names.join("+");
    r
}

pub fn inspect(data: &[u8], name: &str, os: &str, expect: &Output, policy: &Policy) -> Report {
    if data.starts_with(b"!<arch>\n") {
        return staticlib::inspect(data, expect);
    }
    let mut r = Report::default();
    let file = match object::File::parse(data) {
        Ok(f) => f,
        Err(e) => {
            r.problems
                .push(format!("not an executable object file: {e}"));
            return r;
        }
    };
    r.format = match file.format() {
        BinaryFormat::Elf => "elf",
        BinaryFormat::Pe => "pe",
        BinaryFormat::MachO => "macho",
        _ => "other",
    }
    .into();
    r.arch = arch_name(file.architecture()).into();
    if file.kind() == object::ObjectKind::Relocatable {
        r.problems
            .push("a relocatable object file (.o), not a linked program or library".into());
    }
    if r.format != expect.format {
        r.problems.push(format!(
            "format is {}, expected {}",
            r.format, expect.format
        ));
    }
    if r.arch != expect.arch {
        r.problems.push(format!(
            "architecture is {}, expected {}",
            r.arch, expect.arch
        ));
    }
    match r.format.as_str() {
        "elf" => elf_deps(data, &mut r),
        "pe" => pe_deps(&file, &mut r),
        "macho" => macho_deps(data, &mut r, expect, policy),
        _ => {}
    }
    if r.kind == OutputKind::SharedLibrary {
        r.exports = file.exports().map_or(0, |e| e.len());
    }
    match r.format.as_str() {
        "elf" => elf_contract(&mut r, name, os, expect),
        "pe" => pe_contract(&file, &mut r, name),
        "macho" => dylib_contract(&mut r, name, policy),
        _ => {}
    }
    if expect.is_static {
        match r.format.as_str() {
            "elf" if r.kind == OutputKind::Program
                && (r.interpreter || !r.libraries.is_empty()) =>
            {
                r.problems.push(format!(
                    "dynamically linked (interpreter: {}, needs: {:?}); a musl output must be static",
                    r.interpreter, r.libraries
                ))
            }
            "pe" => {
                let foreign: Vec<_> = r
                    .libraries
                    .iter()
                    .filter(|l| {
                        let l = l.to_ascii_lowercase();
                        !l.starts_with("api-ms-win-") && !expect.system_libraries.contains(&l)
                    })
                    .cloned()
                    .collect();
                if !foreign.is_empty() {
                    r.problems.push(format!(
                        "needs non-system DLLs {foreign:?}; they must be linked statically"
                    ));
                }
            }
            _ => {}
        }
    }
    r
}

/// ELF: a shared object has a SONAME and exports; a static target makes none (rustc
/// drops `cdylib` with a static C runtime); Android outputs load only the NDK's system
/// libraries and keep 16 KB segment alignment.
fn elf_contract(r: &mut Report, name: &str, os: &str, expect: &Output) {
    let named_so = name.ends_with(".so") || name.contains(".so.");
    if named_so && r.kind != OutputKind::SharedLibrary {
        r.problems.push(format!(
            "named like a shared library but is a {}",
            r.kind.name()
        ));
    }
    if r.kind == OutputKind::SharedLibrary {
        if expect.is_static {
            r.problems.push(
                "a shared library, but this target's outputs are static (rustc drops `cdylib` with a static C runtime): ship a staticlib, or build the shared library for a target with a dynamic C runtime"
                    .into(),
            );
        }
        if r.soname.is_none() {
            r.problems.push(
                "a shared library without DT_SONAME: Android's loader and linkers record the file name instead (link with -Wl,-soname,<name>)".into(),
            );
        }
        if r.exports == 0 {
            r.problems
                .push("a shared library that exports no symbols".into());
        }
    }
    if os == "android" {
        let foreign: Vec<_> = r
            .libraries
            .iter()
            .filter(|l| !expect.system_libraries.contains(&l.to_ascii_lowercase()))
            .cloned()
            .collect();
        if !foreign.is_empty() {
            r.problems.push(format!(
                "needs {foreign:?}, which Android does not provide (the NDK's system libraries only: libc, libm, libdl, liblog, libandroid, ...); link them statically or ship them in the app"
            ));
        }
    }
    if let (Some(min), Some(have)) = (expect.min_load_alignment, r.min_load_align) {
        if have < min {
            r.problems.push(format!(
                "PT_LOAD segments aligned to {have} bytes; Android needs {min} (16 KB pages, required by Google Play): link with -Wl,-z,max-page-size={min}"
            ));
        }
    }
}

/// PE: the file's kind matches its name (a DLL is flagged as one, a program is not),
/// a DLL exports something, and the subsystem is a Windows console or GUI one.
fn pe_contract(file: &object::File, r: &mut Report, name: &str) {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dll") && r.kind != OutputKind::SharedLibrary {
        r.problems
            .push("named .dll but the PE header does not mark it as a DLL".into());
    }
    if lower.ends_with(".exe") && r.kind != OutputKind::Program {
        r.problems
            .push("named .exe but the PE header marks it as a DLL".into());
    }
    if r.kind == OutputKind::SharedLibrary && r.exports == 0 {
        r.problems.push("a DLL that exports no symbols".into());
    }
    match pe_subsystem(file) {
        Some(IMAGE_SUBSYSTEM_WINDOWS_CUI | IMAGE_SUBSYSTEM_WINDOWS_GUI) => {}
        Some(other) => r.problems.push(format!(
            "PE subsystem {other}, not a Windows console (3) or GUI (2) one: Windows will not load it as a {}",
            r.kind.name()
        )),
        None => r
            .problems
            .push("cannot read the PE optional header".into()),
    }
}

const IMAGE_SUBSYSTEM_WINDOWS_GUI: u16 = 2;
const IMAGE_SUBSYSTEM_WINDOWS_CUI: u16 = 3;

fn pe_subsystem(file: &object::File) -> Option<u16> {
    use object::read::pe::ImageOptionalHeader;
    match file {
        object::File::Pe64(f) => Some(f.nt_headers().optional_header.subsystem()),
        object::File::Pe32(f) => Some(f.nt_headers().optional_header.subsystem()),
        _ => None,
    }
}

/// Mach-O dylib: its install name is `@rpath/<file name>` (rustc's for a cdylib, what
/// apps that bundle it expect) unless the user asked for another.
fn dylib_contract(r: &mut Report, name: &str, policy: &Policy) {
    if name.ends_with(".dylib") && r.kind != OutputKind::SharedLibrary {
        r.problems
            .push(format!("named .dylib but is a Mach-O {}", r.kind.name()));
    }
    if r.kind != OutputKind::SharedLibrary {
        return;
    }
    let want = policy
        .install_name
        .clone()
        .unwrap_or_else(|| format!("@rpath/{name}"));
    match &r.soname {
        Some(have) if *have == want => {}
        Some(have) => r.problems.push(format!(
            "install name is '{have}', expected '{want}' (pass --install-name to check one you set on purpose)"
        )),
        None => r.problems.push("a dylib without LC_ID_DYLIB".into()),
    }
    if r.exports == 0 {
        r.problems.push("a dylib that exports no symbols".into());
    }
}

fn elf_deps(data: &[u8], r: &mut Report) {
    let Ok(header) = object::elf::FileHeader64::<Endianness>::parse(data) else {
        r.problems.push("only 64-bit ELF is supported".into());
        return;
    };
    let Ok(endian) = header.endian() else { return };
    let Ok(segments) = header.program_headers(endian, data) else {
        return;
    };
    let mut needed = Vec::new();
    let mut strtab = None;
    let mut soname = None;
    for seg in segments {
        match seg.p_type(endian) {
            PT_INTERP => r.interpreter = true,
            PT_LOAD => {
                let align = seg.p_align(endian);
                r.min_load_align = Some(r.min_load_align.map_or(align, |a| a.min(align)));
            }
            PT_DYNAMIC => {
                let Ok(Some(dynamic)) = seg.dynamic(endian, data) else {
                    continue;
                };
                for d in dynamic {
                    match d.d_tag(endian) as u32 {
                        DT_NEEDED => needed.push(d.d_val(endian)),
                        DT_STRTAB => strtab = Some(d.d_val(endian)),
                        DT_SONAME => soname = Some(d.d_val(endian)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    // A shared object: ET_DYN without a dynamic loader, named (SONAME) or without an
    // entry point; ET_DYN with an interpreter or an entry is a (static-)PIE program.
    r.kind = if header.e_type(endian) == ET_DYN
        && !r.interpreter
        && (soname.is_some() || header.e_entry(endian) == 0)
    {
        OutputKind::SharedLibrary
    } else {
        OutputKind::Program
    };
    // DT_STRTAB is an address: find the loaded segment holding it for the file offset.
    let strtab_offset = strtab.and_then(|addr| {
        segments.iter().find_map(|seg| {
            let (vaddr, filesz) = (seg.p_vaddr(endian), seg.p_filesz(endian));
            (seg.p_type(endian) == PT_LOAD && addr >= vaddr && addr < vaddr + filesz)
                .then(|| seg.p_offset(endian) + (addr - vaddr))
        })
    });
    let string_at = |at: u64| {
        strtab_offset
            .and_then(|base| data.get(usize::try_from(base.checked_add(at)?).ok()?..))
            .and_then(|s| s.split(|&b| b == 0).next())
            .map(|s| String::from_utf8_lossy(s).into_owned())
    };
    for (i, name_at) in needed.into_iter().enumerate() {
        r.libraries
            .push(string_at(name_at).unwrap_or_else(|| format!("DT_NEEDED#{i}")));
    }
    r.soname = soname.map(|at| string_at(at).unwrap_or_else(|| "DT_SONAME#?".into()));
}

fn pe_deps(file: &object::File, r: &mut Report) {
    let characteristics = match file {
        object::File::Pe64(f) => f
            .nt_headers()
            .file_header
            .characteristics
            .get(object::LittleEndian),
        object::File::Pe32(f) => f
            .nt_headers()
            .file_header
            .characteristics
            .get(object::LittleEndian),
        _ => 0,
    };
    r.kind = if characteristics & object::pe::IMAGE_FILE_DLL != 0 {
        OutputKind::SharedLibrary
    } else {
        OutputKind::Program
    };
    match file.imports() {
        Ok(imports) => {
            let mut libs: Vec<String> = imports
                .iter()
                .map(|i| String::from_utf8_lossy(i.library()).into_owned())
                .collect();
            libs.sort_by_key(|l| l.to_ascii_lowercase());
            libs.dedup_by_key(|l| l.to_ascii_lowercase());
            r.libraries = libs;
        }
        Err(e) => r
            .problems
            .push(format!("cannot read the import table: {e}")),
    }
}

/// A library a Mach-O may load: one every supported macOS has (the stubbed ones and the
/// `also_system` list), or a framework of the SDK the user linked against.
fn macho_system_library(lib: &str, policy: &Policy) -> bool {
    if stubs::is_macos_system_library(lib) {
        return true;
    }
    let (Some(sdk), Some(rest)) = (
        &policy.darwin_sdk,
        lib.strip_prefix("/System/Library/Frameworks/"),
    ) else {
        return false;
    };
    let fw = rest.split('/').next().unwrap_or("");
    fw.ends_with(".framework") && sdk.join("System/Library/Frameworks").join(fw).is_dir()
}

/// `xxxx.yy.zz` nibble-packed version of Mach-O load commands.
fn unpack_version(v: u32) -> (u32, u32, u32) {
    (v >> 16, (v >> 8) & 0xff, v & 0xff)
}

fn macho_deps(data: &[u8], r: &mut Report, expect: &Output, policy: &Policy) {
    let Ok(file) = MachOFile64::<Endianness>::parse(data) else {
        r.problems.push("only 64-bit Mach-O is supported".into());
        return;
    };
    let endian = file.endian();
    let Ok(mut commands) = file.macho_header().load_commands(endian, data, 0) else {
        return;
    };
    r.kind = match file.macho_header().filetype(endian) {
        object::macho::MH_DYLIB => OutputKind::SharedLibrary,
        _ => OutputKind::Program,
    };
    let mut signature_cmd = None;
    while let Ok(Some(cmd)) = commands.next() {
        match cmd.cmd() {
            object::macho::LC_ID_DYLIB => {
                if let Ok(d) = cmd.data::<object::macho::DylibCommand<Endianness>>() {
                    if let Ok(name) = cmd.string(endian, d.dylib.name) {
                        r.soname = Some(String::from_utf8_lossy(name).into_owned());
                    }
                }
            }
            LC_LOAD_DYLIB | LC_LOAD_WEAK_DYLIB | LC_REEXPORT_DYLIB => {
                if let Ok(Some(d)) = cmd.dylib() {
                    if let Ok(name) = cmd.string(endian, d.dylib.name) {
                        r.libraries.push(String::from_utf8_lossy(name).into_owned());
                    }
                }
            }
            object::macho::LC_BUILD_VERSION => {
                if let Ok(bv) = cmd.data::<object::macho::BuildVersionCommand<Endianness>>() {
                    r.min_os = Some(unpack_version(bv.minos.get(endian)));
                }
            }
            object::macho::LC_VERSION_MIN_MACOSX => {
                if let Ok(vm) = cmd.data::<object::macho::VersionMinCommand<Endianness>>() {
                    r.min_os = Some(unpack_version(vm.version.get(endian)));
                }
            }
            object::macho::LC_CODE_SIGNATURE => {
                if let Ok(le) = cmd.data::<object::macho::LinkeditDataCommand<Endianness>>() {
                    signature_cmd = Some((
                        le.dataoff.get(endian) as usize,
                        le.datasize.get(endian) as usize,
                    ));
                }
            }
            _ => {}
        }
    }
    let mut seen = std::collections::HashSet::new();
    for lib in &r.libraries {
        if !seen.insert(lib) {
            r.problems.push(format!(
                "loads {lib} twice; macOS's dyld refuses duplicate LC_LOAD_DYLIB"
            ));
        }
        if !macho_system_library(lib, policy) {
            r.problems.push(format!(
                "loads {lib}, which is not a library every macOS has (nixcross's list: its stubs and sources.json's also_system; with NIXCROSS_DARWIN_SDK, that SDK's frameworks)"
            ));
        }
    }
    if let Some(table_min) = expect
        .min_os_version
        .as_deref()
        .and_then(table::parse_os_version)
    {
        let asked = policy
            .macos_deployment_target
            .as_deref()
            .and_then(table::parse_os_version);
        let allowed = asked.map_or(table_min, |a| a.max(table_min));
        match r.min_os {
            None => r.problems.push(
                "no LC_BUILD_VERSION or LC_VERSION_MIN_MACOSX: the deployment target is unknown"
                    .into(),
            ),
            Some(v) if v > allowed => r.problems.push(format!(
                "needs macOS {} but the target is macOS {}{}: it will not start on older Macs",
                version_text(v),
                version_text(allowed),
                if asked.is_some() {
                    " (MACOSX_DEPLOYMENT_TARGET)"
                } else {
                    ""
                }
            )),
            Some(_) => {}
        }
    }
    let wanted = expect.code_signature.as_deref();
    match signature_cmd {
        Some((off, size)) => match codesign::verify(data, off, size) {
            Ok(sig) => {
                if wanted == Some("adhoc") && !sig.adhoc {
                    r.problems.push("code signature is not ad hoc".into());
                }
                r.signature = Some(sig);
            }
            Err(e) => r.problems.push(format!("invalid code signature: {e}")),
        },
        None if wanted == Some("adhoc") => r.problems.push(
            "no code signature: macOS kills unsigned arm64 binaries at launch (was the binary stripped or edited after linking?)".into(),
        ),
        None => {}
    }
}
