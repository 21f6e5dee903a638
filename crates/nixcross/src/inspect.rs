//! Checks a built binary against the table's expectations: container format and
//! architecture from the headers, static linkage (no interpreter or shared-library
//! dependencies for musl; only Windows system DLLs for windows), the dylibs a Mach-O
//! loads (system only, none twice) and its code signature.

use object::elf::{DT_NEEDED, PT_DYNAMIC, PT_INTERP};
use object::macho::{LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB};
use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::read::macho::{MachHeader, MachOFile64};
use object::{Architecture, BinaryFormat, Endianness, Object};

use crate::codesign;
use crate::table::Output;

/// DLLs every Windows installation has; anything else means the binary needs files
/// shipped next to it (libgcc_s_seh-1.dll, libwinpthread-1.dll, ...).
const WINDOWS_SYSTEM_DLLS: &[&str] = &[
    "kernel32.dll",
    "ntdll.dll",
    "advapi32.dll",
    "bcrypt.dll",
    "bcryptprimitives.dll",
    "user32.dll",
    "ws2_32.dll",
    "userenv.dll",
    "shell32.dll",
    "ole32.dll",
    "oleaut32.dll",
    "msvcrt.dll",
    "ucrtbase.dll",
    "crypt32.dll",
    "secur32.dll",
    "gdi32.dll",
    "iphlpapi.dll",
    "dbghelp.dll",
    "psapi.dll",
    "synchronization.dll",
    "ncrypt.dll",
    "rpcrt4.dll",
    "mswsock.dll",
    "comdlg32.dll",
];

#[derive(Debug, Default)]
pub struct Report {
    pub format: String,
    pub arch: String,
    pub libraries: Vec<String>,
    pub interpreter: bool,
    pub signature: Option<codesign::Signature>,
    pub problems: Vec<String>,
}

impl Report {
    pub fn summary(&self) -> String {
        let mut s = format!("{} {}", self.format, self.arch);
        if self.format == "elf" {
            s.push_str(if self.interpreter || !self.libraries.is_empty() {
                ", dynamic"
            } else {
                ", static"
            });
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

pub fn inspect(data: &[u8], expect: &Output) -> Report {
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
        "macho" => macho_deps(data, &mut r, expect),
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
                        !l.starts_with("api-ms-win-") && !WINDOWS_SYSTEM_DLLS.contains(&l.as_str())
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
    for seg in segments {
        match seg.p_type(endian) {
            PT_INTERP => r.interpreter = true,
            PT_DYNAMIC => {
                let Ok(Some(dynamic)) = seg.dynamic(endian, data) else {
                    continue;
                };
                let needed = dynamic
                    .iter()
                    .filter(|d| d.d_tag(endian) as u32 == DT_NEEDED)
                    .count();
                // Names need the string table; the count is what static-ness depends on.
                for i in 0..needed {
                    r.libraries.push(format!("DT_NEEDED#{i}"));
                }
            }
            _ => {}
        }
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

fn macho_deps(data: &[u8], r: &mut Report, expect: &Output) {
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
        if !(lib.starts_with("/usr/lib/") || lib.starts_with("/System/")) {
            r.problems
                .push(format!("loads {lib}, which is not part of macOS"));
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
