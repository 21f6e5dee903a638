//! Deterministic release archives: the same files give the same bytes, whenever and
//! wherever they are packed. Entries are sorted, owners are 0, every timestamp is the one
//! given (SOURCE_DATE_EPOCH), and compression settings are fixed.
//!
//! `.tar.gz` is written with the `tar` crate (ustar headers) and a gzip header without
//! name or time; `.zip` with our own small writer (deflate via flate2, no zip64), because
//! the zip crate brings several times more code into a binary that runs on every link.

use std::io::Write;

use flate2::write::{DeflateEncoder, GzEncoder};
use flate2::{Compression, GzBuilder};

/// One file in an archive, under the archive's top directory.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub data: Vec<u8>,
    pub executable: bool,
}

/// 1980-01-01T00:00:00Z: the earliest time a zip entry can carry, used for both formats
/// when SOURCE_DATE_EPOCH is not set.
pub const DEFAULT_MTIME: u64 = 315_532_800;

fn mode(e: &Entry) -> u32 {
    if e.executable {
        0o755
    } else {
        0o644
    }
}

fn sorted(entries: &[Entry]) -> Vec<&Entry> {
    let mut v: Vec<&Entry> = entries.iter().collect();
    v.sort_by(|a, b| a.name.cmp(&b.name));
    v
}

/// `top/` and then every entry as `top/<name>`.
pub fn tar_gz(top: &str, entries: &[Entry], mtime: u64) -> std::io::Result<Vec<u8>> {
    let gz: GzEncoder<Vec<u8>> = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::best());
    let mut builder = tar::Builder::new(gz);
    let mut dir = tar::Header::new_ustar();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_mtime(mtime);
    dir.set_uid(0);
    dir.set_gid(0);
    dir.set_size(0);
    builder.append_data(&mut dir, format!("{top}/"), std::io::empty())?;
    for e in sorted(entries) {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(mode(e));
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(e.data.len() as u64);
        builder.append_data(&mut h, format!("{top}/{}", e.name), e.data.as_slice())?;
    }
    builder.into_inner()?.finish()
}

/// MS-DOS date and time (local time in the format; we write UTC) for a Unix time,
/// clamped to the format's 1980..=2107 range.
fn dos_time(unix: u64) -> (u16, u16) {
    let unix = unix.clamp(DEFAULT_MTIME, 4_354_819_199);
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let date = (((year - 1980) as u16) << 9) | ((month as u16) << 5) | day as u16;
    let time = (((secs / 3600) as u16) << 11)
        | ((((secs % 3600) / 60) as u16) << 5)
        | ((secs % 60) / 2) as u16;
    (time, date)
}

struct ZipRecord {
    name: String,
    crc: u32,
    compressed: u32,
    size: u32,
    method: u16,
    external: u32,
    offset: u32,
}

/// The fields the local header and the central directory entry share, in that order:
/// version needed, flags, method, time, date, CRC, sizes, name length.
fn shared_fields(out: &mut Vec<u8>, rec: &ZipRecord, time: u16, date: u16) {
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0 (deflate)
    out.extend_from_slice(&0x0800u16.to_le_bytes()); // names are UTF-8
    out.extend_from_slice(&rec.method.to_le_bytes());
    out.extend_from_slice(&time.to_le_bytes());
    out.extend_from_slice(&date.to_le_bytes());
    out.extend_from_slice(&rec.crc.to_le_bytes());
    out.extend_from_slice(&rec.compressed.to_le_bytes());
    out.extend_from_slice(&rec.size.to_le_bytes());
    out.extend_from_slice(&(rec.name.len() as u16).to_le_bytes());
}

fn too_big(what: &str) -> std::io::Error {
    std::io::Error::other(format!(
        "{what} is 4 GiB or more, which needs zip64 (not written by nixcross)"
    ))
}

/// `top/` and then every entry as `top/<name>`, deflated, with Unix modes.
pub fn zip(top: &str, entries: &[Entry], mtime: u64) -> std::io::Result<Vec<u8>> {
    let (time, date) = dos_time(mtime);
    let mut out: Vec<u8> = Vec::new();
    let mut records = Vec::new();
    let mut items: Vec<(String, Option<&Entry>)> = vec![(format!("{top}/"), None)];
    items.extend(
        sorted(entries)
            .into_iter()
            .map(|e| (format!("{top}/{}", e.name), Some(e))),
    );
    for (name, entry) in items {
        let (data, method, external): (Vec<u8>, u16, u32) = match entry {
            // Directory: S_IFDIR | 0755 in the high half, MS-DOS directory bit low.
            None => (Vec::new(), 0, (0o040_755 << 16) | 0x10),
            Some(e) => {
                let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
                enc.write_all(&e.data)?;
                (enc.finish()?, 8, (0o100_000 | mode(e)) << 16)
            }
        };
        let raw = entry.map(|e| e.data.as_slice()).unwrap_or(&[]);
        let rec = ZipRecord {
            crc: crc32fast::hash(raw),
            compressed: u32::try_from(data.len()).map_err(|_| too_big(&name))?,
            size: u32::try_from(raw.len()).map_err(|_| too_big(&name))?,
            offset: u32::try_from(out.len()).map_err(|_| too_big("the archive"))?,
            name,
            method,
            external,
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        shared_fields(&mut out, &rec, time, date);
        out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        out.extend_from_slice(rec.name.as_bytes());
        out.extend_from_slice(&data);
        records.push(rec);
    }
    let cd_start = u32::try_from(out.len()).map_err(|_| too_big("the archive"))?;
    for rec in &records {
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        out.extend_from_slice(&0x031eu16.to_le_bytes()); // made by: Unix, spec 3.0
        shared_fields(&mut out, rec, time, date);
        out.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        out.extend_from_slice(&rec.external.to_le_bytes());
        out.extend_from_slice(&rec.offset.to_le_bytes());
        out.extend_from_slice(rec.name.as_bytes());
    }
    let cd_size = u32::try_from(out.len()).map_err(|_| too_big("the archive"))? - cd_start;
    let n = u16::try_from(records.len()).map_err(|_| too_big("the entry count"))?;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]); // this disk, disk with the central directory
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&cd_size.to_le_bytes());
    out.extend_from_slice(&cd_start.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Read;

    fn entries() -> Vec<Entry> {
        vec![
            Entry {
                name: "tool".into(),
                data: b"\x7fELF pretend binary".repeat(100),
                executable: true,
            },
            Entry {
                name: "README.md".into(),
                data: b"read me\n".to_vec(),
                executable: false,
            },
        ]
    }

    /// Bytes that compress somewhat and span many copy buffers (so streaming writes them
    /// in many pieces).
    pub fn pseudo_random(len: usize, seed: u32) -> Vec<u8> {
        let mut x = seed;
        (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                b"abcdefgh\0\x7f"[(x >> 16) as usize % 10]
            })
            .collect()
    }

    fn big_entries() -> Vec<Entry> {
        vec![
            Entry {
                name: "tool".into(),
                data: pseudo_random(700_000, 1),
                executable: true,
            },
            Entry {
                name: "README.md".into(),
                data: b"read me\n".to_vec(),
                executable: false,
            },
            Entry {
                name: "empty".into(),
                data: vec![],
                executable: false,
            },
        ]
    }

    fn sha256_hex(data: &[u8]) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Release checksums are published: the bytes of an archive of given files must never
    /// change (these are what the in-memory writers of nixcross 0.1 gave).
    #[test]
    fn archives_of_given_files_have_pinned_bytes() {
        let tgz = tar_gz("pkg-1.0-t", &big_entries(), 1_700_000_000).unwrap();
        let zip = zip("pkg-1.0-t", &big_entries(), 1_700_000_000).unwrap();
        assert_eq!(
            sha256_hex(&tgz),
            "cdd0385ca2556ff9a2a3a2102ad28968e931963d991537f233f58db0dfbe1328"
        );
        assert_eq!(
            sha256_hex(&zip),
            "977abd6414228f642d98fea88f2fce156c5cd7e7011732bf00b4ffa989486a25"
        );
    }

    #[test]
    fn dos_time_of_known_instants() {
        // 1980-01-01 00:00:00 is date 0x0021 (day 1, month 1), time 0.
        assert_eq!(dos_time(DEFAULT_MTIME), (0, 0x0021));
        // 2024-02-29 13:45:30 UTC = 1709214330.
        let (t, d) = dos_time(1_709_214_330);
        assert_eq!(d, ((2024 - 1980) << 9) | (2 << 5) | 29);
        assert_eq!(t, (13 << 11) | (45 << 5) | 15);
        // Before 1980 clamps instead of wrapping.
        assert_eq!(dos_time(0), (0, 0x0021));
    }

    /// Archives must not depend on the order files were found in or on when they were
    /// packed: the release checksums are compared across machines.
    #[test]
    fn same_files_give_the_same_bytes_in_any_order() {
        let mut reversed = entries();
        reversed.reverse();
        assert_eq!(
            tar_gz("x", &entries(), 1).unwrap(),
            tar_gz("x", &reversed, 1).unwrap()
        );
        assert_eq!(
            zip("x", &entries(), DEFAULT_MTIME).unwrap(),
            zip("x", &reversed, DEFAULT_MTIME).unwrap()
        );
        assert_ne!(
            zip("x", &entries(), DEFAULT_MTIME).unwrap(),
            zip("x", &entries(), DEFAULT_MTIME + 86_400).unwrap()
        );
    }

    #[test]
    fn tar_gz_holds_the_files_with_their_modes_and_time() {
        let bytes = tar_gz("pkg-1.0-t", &entries(), 1_700_000_000).unwrap();
        let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let h = e.header().clone();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            assert_eq!(h.mtime().unwrap(), 1_700_000_000);
            assert_eq!((h.uid().unwrap(), h.gid().unwrap()), (0, 0));
            seen.push((
                e.path().unwrap().display().to_string(),
                h.mode().unwrap(),
                data.len(),
            ));
        }
        assert_eq!(
            seen,
            [
                ("pkg-1.0-t/".to_string(), 0o755, 0),
                ("pkg-1.0-t/README.md".to_string(), 0o644, 8),
                ("pkg-1.0-t/tool".to_string(), 0o755, 1900),
            ]
        );
    }

    #[test]
    fn zip_round_trips_through_a_deflate_decoder() {
        let bytes = zip("p", &entries(), DEFAULT_MTIME).unwrap();
        // End of central directory: 3 entries (the directory and two files).
        let eocd = &bytes[bytes.len() - 22..];
        assert_eq!(&eocd[..4], &0x0605_4b50u32.to_le_bytes());
        assert_eq!(u16::from_le_bytes([eocd[10], eocd[11]]), 3);
        // The first file after the directory entry is README.md (sorted), deflated.
        let dir_len = 30 + "p/".len();
        let h = &bytes[dir_len..];
        assert_eq!(&h[..4], &0x0403_4b50u32.to_le_bytes());
        let csize = u32::from_le_bytes([h[18], h[19], h[20], h[21]]) as usize;
        let name_len = u16::from_le_bytes([h[26], h[27]]) as usize;
        assert_eq!(&h[30..30 + name_len], b"p/README.md");
        let mut out = Vec::new();
        flate2::read::DeflateDecoder::new(&h[30 + name_len..30 + name_len + csize])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"read me\n");
        assert_eq!(
            u32::from_le_bytes([h[14], h[15], h[16], h[17]]),
            crc32fast::hash(b"read me\n")
        );
    }
}
