//! Universal ("fat") Mach-O files: one file holding a whole Mach-O per architecture.
//! Merging copies each thin file byte for byte to an aligned offset, so the code
//! signature inside each slice (which covers only that slice's bytes) stays valid.
//!
//! Layout (all big-endian): fat_header { magic 0xcafebabe, nfat_arch } followed by
//! nfat_arch fat_arch { cputype, cpusubtype, offset, size, align (log2) }.

use std::io::{self, Read, Write};

pub const FAT_MAGIC: u32 = 0xcafe_babe;
const MH_MAGIC_64: u32 = 0xfeed_facf;
pub const CPU_TYPE_X86_64: u32 = 0x0100_0007;
pub const CPU_TYPE_ARM64: u32 = 0x0100_000c;
/// Java class files share the magic; they have a version (>= 45) where a fat file has
/// its architecture count, so a small count means Mach-O.
const MAX_FAT_ARCHES: u32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice<'a> {
    pub cputype: u32,
    pub cpusubtype: u32,
    pub data: &'a [u8],
}

pub fn arch_name(cputype: u32) -> &'static str {
    match cputype {
        CPU_TYPE_X86_64 => "x86_64",
        CPU_TYPE_ARM64 => "aarch64",
        _ => "other",
    }
}

/// log2 of the slice alignment: the page size each architecture's kernel maps with
/// (what Apple's and LLVM's lipo use).
fn align_log2(cputype: u32) -> u32 {
    match cputype {
        CPU_TYPE_ARM64 => 14,
        _ => 12,
    }
}

fn be32(d: &[u8], off: usize) -> Option<u32> {
    d.get(off..off + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// A thin 64-bit little-endian Mach-O: its CPU type and subtype.
pub fn thin_arch(data: &[u8]) -> Result<(u32, u32), String> {
    let word = |off: usize| {
        data.get(off..off + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    match word(0) {
        Some(MH_MAGIC_64) => Ok((word(4).unwrap_or(0), word(8).unwrap_or(0))),
        _ if is_fat(data) => Err("is already a universal file".into()),
        _ => Err("is not a 64-bit Mach-O file".into()),
    }
}

pub fn is_fat(data: &[u8]) -> bool {
    be32(data, 0) == Some(FAT_MAGIC) && be32(data, 4).is_some_and(|n| n <= MAX_FAT_ARCHES)
}

/// One fat_arch entry: where a slice is and what it says it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arch {
    pub cputype: u32,
    pub cpusubtype: u32,
    pub offset: u64,
    pub size: u64,
}

/// The longest a fat header can be (MAX_FAT_ARCHES entries): what must be read of a
/// universal file to find its slices.
pub const MAX_HEADER_LEN: usize = 8 + 20 * MAX_FAT_ARCHES as usize;

/// The fat_arch table of a universal file of `file_len` bytes that starts with `head`,
/// each slice aligned as it says and inside the file.
pub fn arches(head: &[u8], file_len: u64) -> Result<Vec<Arch>, String> {
    if !is_fat(head) {
        return Err("not a universal Mach-O file".into());
    }
    let n = be32(head, 4).unwrap_or(0) as usize;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let at = 8 + i * 20;
        let field = |k: usize| be32(head, at + 4 * k).ok_or("fat_arch table truncated");
        let (cputype, cpusubtype) = (field(0)?, field(1)?);
        let (offset, size, align) = (u64::from(field(2)?), u64::from(field(3)?), field(4)?);
        if align > 20 || offset % (1u64 << align) != 0 {
            return Err(format!(
                "slice {i} at offset {offset} is not aligned to 2^{align}"
            ));
        }
        if offset + size > file_len {
            return Err(format!(
                "slice {i} ({offset}+{size}) runs past the end of the file"
            ));
        }
        out.push(Arch {
            cputype,
            cpusubtype,
            offset,
            size,
        });
    }
    Ok(out)
}

/// Slice `i`'s own Mach-O header must say what the fat_arch table says.
pub fn check_slice(i: usize, arch: &Arch, data: &[u8]) -> Result<(), String> {
    let (thin_type, _) = thin_arch(data).map_err(|e| format!("slice {i} {e}"))?;
    if thin_type != arch.cputype {
        return Err(format!(
            "slice {i} is listed as {} but holds {}",
            arch_name(arch.cputype),
            arch_name(thin_type)
        ));
    }
    Ok(())
}

/// The slices of a universal file, in file order.
pub fn slices(data: &[u8]) -> Result<Vec<Slice<'_>>, String> {
    let mut out = Vec::new();
    for (i, arch) in arches(data, data.len() as u64)?.into_iter().enumerate() {
        let slice = &data[arch.offset as usize..(arch.offset + arch.size) as usize];
        check_slice(i, &arch, slice)?;
        out.push(Slice {
            cputype: arch.cputype,
            cpusubtype: arch.cpusubtype,
            data: slice,
        });
    }
    Ok(out)
}

/// A thin 64-bit Mach-O to put into a universal file: its CPU type and subtype (from its
/// header, `thin_arch`) and its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thin {
    pub cputype: u32,
    pub cpusubtype: u32,
    pub size: u64,
}

/// Where the thin files go in a universal file: the header to write first, then each
/// input (by index) at its offset, in file order.
#[derive(Debug)]
pub struct Layout {
    pub header: Vec<u8>,
    pub placed: Vec<(usize, Arch)>,
}

/// The layout lipo gives: slices ordered by alignment then CPU type (x86_64 before arm64),
/// whatever the order of `thin`, each at the next multiple of its alignment.
pub fn layout(thin: &[Thin]) -> Result<Layout, String> {
    for (i, t) in thin.iter().enumerate() {
        if thin[..i].iter().any(|s| s.cputype == t.cputype) {
            return Err(format!(
                "two inputs are {}: a universal file holds each architecture once",
                arch_name(t.cputype)
            ));
        }
    }
    if thin.len() < 2 {
        return Err("a universal file needs at least two architectures".into());
    }
    let mut order: Vec<usize> = (0..thin.len()).collect();
    order.sort_by_key(|&i| (align_log2(thin[i].cputype), thin[i].cputype));
    let too_big = || "the universal file would be 4 GiB or more (needs fat64)".to_string();
    let fits = |v: u64| u32::try_from(v).map_err(|_| too_big());
    let mut header = Vec::new();
    header.extend_from_slice(&FAT_MAGIC.to_be_bytes());
    header.extend_from_slice(&(thin.len() as u32).to_be_bytes());
    let mut end = (8 + 20 * thin.len()) as u64;
    let mut placed = Vec::new();
    for i in order {
        let t = thin[i];
        let align = 1u64 << align_log2(t.cputype);
        let offset = end.div_ceil(align) * align;
        end = offset + t.size;
        header.extend_from_slice(&t.cputype.to_be_bytes());
        header.extend_from_slice(&t.cpusubtype.to_be_bytes());
        header.extend_from_slice(&fits(offset)?.to_be_bytes());
        header.extend_from_slice(&fits(t.size)?.to_be_bytes());
        header.extend_from_slice(&align_log2(t.cputype).to_be_bytes());
        placed.push((
            i,
            Arch {
                cputype: t.cputype,
                cpusubtype: t.cpusubtype,
                offset,
                size: t.size,
            },
        ));
    }
    fits(end)?;
    Ok(Layout { header, placed })
}

/// Writes a universal file laid out by `layout` to `out`, copying each input from the
/// reader `open(index)` gives (in pieces; slices are never held in memory), with zeros
/// between slices.
pub fn write<R: Read>(
    layout: &Layout,
    mut open: impl FnMut(usize) -> io::Result<R>,
    out: &mut impl Write,
) -> io::Result<()> {
    out.write_all(&layout.header)?;
    let mut at = layout.header.len() as u64;
    for (i, arch) in &layout.placed {
        io::copy(&mut io::repeat(0).take(arch.offset - at), out)?;
        let copied = io::copy(&mut open(*i)?, out)?;
        if copied != arch.size {
            return Err(io::Error::other(format!(
                "input {i} gave {copied} bytes, not the {} it had when it was checked",
                arch.size
            )));
        }
        at = arch.offset + arch.size;
    }
    Ok(())
}

/// One universal file in memory from thin 64-bit Mach-O files, one per architecture.
#[cfg(test)]
pub fn merge(thin: &[&[u8]]) -> Result<Vec<u8>, String> {
    let mut parts = Vec::new();
    for (i, data) in thin.iter().enumerate() {
        let (cputype, cpusubtype) = thin_arch(data).map_err(|e| format!("input {i} {e}"))?;
        parts.push(Thin {
            cputype,
            cpusubtype,
            size: data.len() as u64,
        });
    }
    let layout = layout(&parts)?;
    let mut out = Vec::new();
    write(&layout, |i| Ok(thin[i]), &mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn thin(cputype: u32, len: usize, fill: u8) -> Vec<u8> {
        let mut d = vec![fill; len];
        d[..4].copy_from_slice(&MH_MAGIC_64.to_le_bytes());
        d[4..8].copy_from_slice(&cputype.to_le_bytes());
        d[8..12].copy_from_slice(&3u32.to_le_bytes());
        d
    }

    fn sha256_hex(data: &[u8]) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Thin files bigger than a copy buffer give the bytes nixcross 0.1 gave.
    #[test]
    fn a_universal_file_of_given_slices_has_pinned_bytes() {
        let mut x = crate::tools::archive::tests::pseudo_random(300_001, 2);
        let mut a = crate::tools::archive::tests::pseudo_random(500_003, 3);
        x[..12].copy_from_slice(&thin(CPU_TYPE_X86_64, 12, 0));
        a[..12].copy_from_slice(&thin(CPU_TYPE_ARM64, 12, 0));
        assert_eq!(
            sha256_hex(&merge(&[&a, &x]).unwrap()),
            "74b92003753ad58ad798673857762b082dfa030bda0dd09010191d14da639296"
        );
    }

    /// Slices are copied byte for byte: a code signature covers exactly its slice's
    /// bytes, so any change inside a slice would make macOS reject the arm64 binary.
    #[test]
    fn slices_are_copied_unchanged_and_page_aligned() {
        let x = thin(CPU_TYPE_X86_64, 5000, 0xaa);
        let a = thin(CPU_TYPE_ARM64, 7000, 0xbb);
        let fat = merge(&[&a, &x]).unwrap();
        let s = slices(&fat).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!((s[0].cputype, s[0].data), (CPU_TYPE_X86_64, x.as_slice()));
        assert_eq!((s[1].cputype, s[1].data), (CPU_TYPE_ARM64, a.as_slice()));
        assert_eq!(be32(&fat, 16), Some(4096)); // x86_64 at 2^12
        assert_eq!(be32(&fat, 24), Some(12));
        assert_eq!(be32(&fat, 36), Some(16384)); // arm64 at 2^14, after x86_64's end
        assert_eq!(be32(&fat, 44), Some(14));
        assert_eq!(s[0].cpusubtype, 3);
    }

    /// The input order must not matter (pairing is by name, never by list position).
    #[test]
    fn input_order_does_not_change_the_output() {
        let x = thin(CPU_TYPE_X86_64, 100, 1);
        let a = thin(CPU_TYPE_ARM64, 100, 2);
        assert_eq!(merge(&[&x, &a]).unwrap(), merge(&[&a, &x]).unwrap());
    }

    #[test]
    fn bad_inputs_are_refused_with_the_reason() {
        let x = thin(CPU_TYPE_X86_64, 100, 1);
        let e = merge(&[&x, &x]).unwrap_err();
        assert!(e.contains("two inputs are x86_64"), "{e}");
        let e = merge(&[&x, b"#!/bin/sh\n"]).unwrap_err();
        assert!(e.contains("input 1 is not a 64-bit Mach-O"), "{e}");
        assert!(merge(&[&x]).unwrap_err().contains("at least two"));
        let fat = merge(&[&x, &thin(CPU_TYPE_ARM64, 100, 2)]).unwrap();
        assert!(merge(&[&fat, &x])
            .unwrap_err()
            .contains("already a universal"));
    }

    #[test]
    fn corrupt_universal_files_are_reported() {
        let mut fat = merge(&[
            &thin(CPU_TYPE_X86_64, 100, 1),
            &thin(CPU_TYPE_ARM64, 100, 2),
        ])
        .unwrap();
        fat.truncate(fat.len() - 1);
        assert!(slices(&fat).unwrap_err().contains("past the end"));
        // A Java class file (same magic, version 52 where the count would be) is not fat.
        let class = [0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52];
        assert!(!is_fat(&class));
    }
}
