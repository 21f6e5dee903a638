//! Checks a built binary against the table's expectations: container format and
//! architecture from the headers, static linkage (no interpreter or shared-library
//! dependencies for musl; only Windows system DLLs for windows), the dylibs a Mach-O
//! loads (system only, none twice) and its code signature.

use object::elf::{DT_NEEDED, DT_STRTAB, PT_DYNAMIC, PT_INTERP, PT_LOAD};
use object::macho::{LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB};
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::read::macho::{MachHeader, MachOFile64};
use object::{Architecture, BinaryFormat, Endianness, Object};

use std::path::PathBuf;

use crate::tools::codesign;
use crate::tools::fat;
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
}

impl Policy {
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Policy {
        let set = |k: &str| env(k).filter(|s| !s.is_empty());
        Policy {
            darwin_sdk: set("NIXCROSS_DARWIN_SDK").map(PathBuf::from),
            macos_deployment_target: set("MACOSX_DEPLOYMENT_TARGET"),
        }
    }
}

fn version_text((a, b, c): (u32, u32, u32)) -> String {
    if c == 0 {
        format!("{a}.{b}")
    } else {
        format!("{a}.{b}.{c}")
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub format: String,
    pub arch: String,
    pub libraries: Vec<String>,
    pub interpreter: bool,
    pub signature: Option<codesign::Signature>,
    /// Mach-O: LC_BUILD_VERSION (or LC_VERSION_MIN_MACOSX) minos.
    pub min_os: Option<(u32, u32, u32)>,
    pub problems: Vec<String>,
}

impl Report {
    /// No dynamic loader and no shared library at all: runs as a single file anywhere.
    pub fn is_static(&self) -> bool {
        !self.format.is_empty() && !self.interpreter && self.libraries.is_empty()
    }

    pub fn summary(&self) -> String {
        let mut s = format!("{} {}", self.format, self.arch);
        if self.format == "elf" {
            s.push_str(if self.interpreter || !self.libraries.is_empty() {
                ", dynamic"
            } else {
                ", static"
            });
        }
        if let Some(v) = self.min_os {
            s.push_str(&format!(", macOS >= {}", version_text(v)));
        }
        if !self.libraries.is_empty() {
            s.push_str(&format!(", needs {}", self.libraries.join(" ")));
        }
        if let Some(sig) = &self.signature {
            s.push_str(&format!(", signature: {}", sig.describe()));
        }
        s
    }
}

fn arch_name(a: Architecture) -> &'static str {
    match a {
        Architecture::X86_64 => "x86_64",
        Architecture::Aarch64 => "aarch64",
        Architecture::I386 => "i386",
        Architecture::Arm => "arm",
        _ => "other",
    }
}

/// Checks `data` as an output of `target`: a thin binary against that target's
/// expectations, a universal file slice by slice against each slice's target.
pub fn inspect_for(
    table: &Table,
    target: &str,
    data: &[u8],
    policy: &Policy,
) -> Result<Report, Error> {
    Ok(match table.kind(target)? {
        Kind::Single(t) => inspect(data, &t.output, policy),
        Kind::Universal(u) => inspect_universal(table, u, data, policy),
    })
}

fn inspect_universal(table: &Table, u: &Universal, data: &[u8], policy: &Policy) -> Report {
    let mut r = Report {
        format: "macho-universal".into(),
        ..Report::default()
    };
    let slices = match fat::slices(data) {
        Ok(s) => s,
        Err(e) => {
            r.problems.push(format!(
                "{e}; expected one file with slices for {}",
                u.slices.join(" and ")
            ));
            return r;
        }
    };
    let mut arches = Vec::new();
    for name in &u.slices {
        let expect = &table.targets[name].output;
        let mut matching = slices
            .iter()
            .filter(|s| fat::arch_name(s.cputype) == expect.arch);
        let (Some(slice), None) = (matching.next(), matching.next()) else {
            r.problems.push(format!(
                "needs exactly one {} slice (for {name})",
                expect.arch
            ));
            continue;
        };
        let thin = inspect(slice.data, expect, policy);
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
        arches.push(expect.arch.clone());
    }
    if slices.len() != u.slices.len() {
        r.problems.push(format!(
            "has {} slices, expected {} ({})",
            slices.len(),
            u.slices.len(),
            u.slices.join(", ")
        ));
    }
    r.arch = arches.join("+");
    r
}

pub fn inspect(data: &[u8], expect: &Output, policy: &Policy) -> Report {
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
    if expect.is_static {
        match r.format.as_str() {
            "elf" if r.interpreter || !r.libraries.is_empty() => r.problems.push(format!(
                "dynamically linked (interpreter: {}, needs: {:?}); a musl output must be static",
                r.interpreter, r.libraries
            )),
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
    for seg in segments {
        match seg.p_type(endian) {
            PT_INTERP => r.interpreter = true,
            PT_DYNAMIC => {
                let Ok(Some(dynamic)) = seg.dynamic(endian, data) else {
                    continue;
                };
                for d in dynamic {
                    match d.d_tag(endian) as u32 {
                        DT_NEEDED => needed.push(d.d_val(endian)),
                        DT_STRTAB => strtab = Some(d.d_val(endian)),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    // DT_STRTAB is an address: find the loaded segment holding it for the file offset.
    let strtab_offset = strtab.and_then(|addr| {
        segments.iter().find_map(|seg| {
            let (vaddr, filesz) = (seg.p_vaddr(endian), seg.p_filesz(endian));
            (seg.p_type(endian) == PT_LOAD && addr >= vaddr && addr < vaddr + filesz)
                .then(|| seg.p_offset(endian) + (addr - vaddr))
        })
    });
    for (i, name_at) in needed.into_iter().enumerate() {
        let name = strtab_offset
            .and_then(|base| data.get(usize::try_from(base + name_at).ok()?..))
            .and_then(|s| s.split(|&b| b == 0).next())
            .map(|s| String::from_utf8_lossy(s).into_owned());
        r.libraries
            .push(name.unwrap_or_else(|| format!("DT_NEEDED#{i}")));
    }
}

fn pe_deps(file: &object::File, r: &mut Report) {
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
    let mut signature_cmd = None;
    while let Ok(Some(cmd)) = commands.next() {
        match cmd.cmd() {
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
