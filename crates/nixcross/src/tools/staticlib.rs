//! A static archive (a `staticlib`, `lib<name>.a`): every member is an object file of
//! the target's format and architecture, so the C program that links it gets no
//! surprise from another target's objects or from a file that is not an object.

use object::read::archive::ArchiveFile;
use object::{BinaryFormat, Object};

use crate::tools::report::{arch_name, OutputKind, Report};
use nixcross::hot::table::Output;

/// The object format a target's archive members have: COFF objects go into PE files.
fn member_format(output_format: &str) -> &str {
    match output_format {
        "pe" => "coff",
        other => other,
    }
}

pub fn inspect(data: &[u8], expect: &Output) -> Report {
    let mut r = Report {
        kind: OutputKind::StaticArchive,
        format: member_format(&expect.format).into(),
        arch: expect.arch.clone(),
        ..Report::default()
    };
    let archive = match ArchiveFile::parse(data) {
        Ok(a) => a,
        Err(e) => {
            r.problems.push(format!("not a readable ar archive: {e}"));
            return r;
        }
    };
    let want = member_format(&expect.format);
    for member in archive.members() {
        let member = match member {
            Ok(m) => m,
            Err(e) => {
                r.problems.push(format!("unreadable archive member: {e}"));
                break;
            }
        };
        let name = String::from_utf8_lossy(member.name()).into_owned();
        // Symbol tables, not objects: BSD's __.SYMDEF, COFF's ARM64EC /<ECSYMBOLS>/.
        if name.starts_with("__.SYMDEF") || name.starts_with("/<") {
            continue;
        }
        let Ok(bytes) = member.data(data) else {
            r.problems.push(format!("{name}: cannot read its data"));
            continue;
        };
        // Windows import members (a DLL's import library inside the archive) are COFF
        // "short import" records, not object files.
        if want == "coff" && object::read::coff::ImportFile::parse(bytes).is_ok() {
            continue;
        }
        match object::File::parse(bytes) {
            Ok(f) => {
                let format = match f.format() {
                    BinaryFormat::Elf => "elf",
                    BinaryFormat::Coff | BinaryFormat::Pe => "coff",
                    BinaryFormat::MachO => "macho",
                    _ => "other",
                };
                let arch = arch_name(f.architecture());
                if format != want || arch != expect.arch {
                    r.problems.push(format!(
                        "{name}: a {format} {arch} object in a {} archive (expected {want} {})",
                        expect.arch, expect.arch
                    ));
                } else if f.kind() != object::ObjectKind::Relocatable {
                    r.problems.push(format!("{name}: not a relocatable object"));
                } else {
                    r.members += 1;
                }
            }
            Err(e) => r.problems.push(format!("{name}: not an object file ({e})")),
        }
    }
    if r.members == 0 && r.problems.is_empty() {
        r.problems.push("an archive with no object files".into());
    }
    r
}
