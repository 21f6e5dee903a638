//! What `check` found in one file: its kind, format and architecture, the libraries it
//! loads, and the problems that fail it. Shared by the checks for each kind of file.

use object::Architecture;

use crate::tools::codesign;

/// What a file is, from its own headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputKind {
    #[default]
    Program,
    SharedLibrary,
    StaticArchive,
}

impl OutputKind {
    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Program => "program",
            OutputKind::SharedLibrary => "shared library",
            OutputKind::StaticArchive => "static archive",
        }
    }
}

pub fn version_text((a, b, c): (u32, u32, u32)) -> String {
    if c == 0 {
        format!("{a}.{b}")
    } else {
        format!("{a}.{b}.{c}")
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub kind: OutputKind,
    pub format: String,
    pub arch: String,
    pub libraries: Vec<String>,
    pub interpreter: bool,
    pub signature: Option<codesign::Signature>,
    /// Mach-O: LC_BUILD_VERSION (or LC_VERSION_MIN_MACOSX) minos.
    pub min_os: Option<(u32, u32, u32)>,
    /// ELF DT_SONAME or a dylib's LC_ID_DYLIB name.
    pub soname: Option<String>,
    /// The smallest PT_LOAD alignment of an ELF file.
    pub min_load_align: Option<u64>,
    /// A DLL's or shared object's exported symbols (count).
    pub exports: usize,
    /// A static archive's object members.
    pub members: usize,
    pub problems: Vec<String>,
}

impl Report {
    /// No dynamic loader and no shared library at all: runs as a single file anywhere.
    pub fn is_static(&self) -> bool {
        !self.format.is_empty() && !self.interpreter && self.libraries.is_empty()
    }

    pub fn summary(&self) -> String {
        if self.kind == OutputKind::StaticArchive {
            return format!(
                "static archive, {} {} objects ({})",
                self.members, self.arch, self.format
            );
        }
        let mut s = format!("{} {}", self.format, self.arch);
        if self.kind == OutputKind::SharedLibrary {
            s.push_str(" shared library");
            if let Some(n) = &self.soname {
                s.push_str(&format!(" '{n}'"));
            }
            s.push_str(&format!(", {} exports", self.exports));
        }
        if let Some(a) = self.min_load_align.filter(|a| *a >= 0x4000) {
            s.push_str(&format!(", segments aligned to {} KB", a / 1024));
        }
        if self.format == "elf" && self.kind == OutputKind::Program {
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

pub fn arch_name(a: Architecture) -> &'static str {
    match a {
        Architecture::X86_64 => "x86_64",
        Architecture::Aarch64 => "aarch64",
        Architecture::I386 => "i386",
        Architecture::Arm => "arm",
        _ => "other",
    }
}
