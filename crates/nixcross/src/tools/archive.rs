//! Deterministic release archives: the same files give the same bytes, whenever and
//! wherever they are packed. Entries are sorted, owners are 0, every timestamp is the one
//! given (SOURCE_DATE_EPOCH), and compression settings are fixed.
//!
//! `.tar.gz` is written with the `tar` crate (ustar headers) and a gzip header without
//! name or time; `.zip` with our own small writer (deflate via flate2, no zip64), because
//! the zip crate brings several times more code into a binary that runs on every link.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::write::DeflateEncoder;
use flate2::{Compression, GzBuilder};

use crate::tools::stream::{self, Sha256Digest, Verified};

/// One file in an archive, under the archive's top directory. Its bytes are read from
/// `path` while the archive is written (never held in memory), and must then still be the
/// `size` bytes with the `sha256` they had when they were checked.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    pub sha256: Sha256Digest,
    pub executable: bool,
}

impl Entry {
    /// `path` as it is now, hashed in pieces.
    pub fn from_file(name: String, path: &Path, executable: bool) -> io::Result<Entry> {
        let (size, sha256) = stream::hash_file(path)?;
        Ok(Entry {
            name,
            path: path.to_path_buf(),
            size,
            sha256,
            executable,
        })
    }

    /// `path`, whose bytes the caller has just read (for its checks) as `data`.
    pub fn from_data(name: String, path: &Path, data: &[u8], executable: bool) -> Entry {
        Entry {
            name,
            path: path.to_path_buf(),
            size: data.len() as u64,
            sha256: stream::hash_bytes(data),
            executable,
        }
    }

    fn open(&self) -> io::Result<Verified> {
        Verified::open(&self.path, self.size, self.sha256)
    }
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

/// `top/` and then every entry as `top/<name>`, written to `out`, which is returned.
pub fn tar_gz<W: Write>(top: &str, entries: &[Entry], mtime: u64, out: W) -> io::Result<W> {
    let gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(out, Compression::best());
    let mut builder = tar::Builder::new(gz);
    let mut dir = tar::Header::new_ustar();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_mtime(mtime);
    dir.set_uid(0);
    dir.set_gid(0);
    dir.set_size(0);
    builder.append_data(&mut dir, format!("{top}/"), io::empty())?;
    for e in sorted(entries) {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_mode(mode(e));
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h.set_size(e.size);
        builder.append_data(&mut h, format!("{top}/{}", e.name), e.open()?)?;
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

/// Offset of the CRC in a local file header; the two sizes follow it.
const LOCAL_CRC_AT: u64 = 14;

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

fn too_big(what: &str) -> io::Error {
    io::Error::other(format!(
        "{what} is 4 GiB or more, which needs zip64 (not written by nixcross)"
    ))
}

/// Counts the bytes written through it.
struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Feeds what is read through it to a CRC-32.
struct Crc<R> {
    inner: R,
    crc: crc32fast::Hasher,
}

impl<R: Read> Read for Crc<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

/// Deflates `entry` into `out`: its CRC, compressed size and size.
fn deflate_entry<W: Write>(entry: &Entry, out: &mut W) -> io::Result<(u32, u64, u64)> {
    let mut reader = Crc {
        inner: entry.open()?,
        crc: crc32fast::Hasher::new(),
    };
    let mut enc = DeflateEncoder::new(
        Counting {
            inner: out,
            count: 0,
        },
        Compression::best(),
    );
    let size = io::copy(&mut reader, &mut enc)?;
    let compressed = enc.finish()?.count;
    Ok((reader.crc.finalize(), compressed, size))
}

/// `top/` and then every entry as `top/<name>`, deflated, with Unix modes, written to
/// `out` (which is returned). Each entry is streamed after a local header whose CRC and
/// sizes are filled in once known (no data descriptors: the bytes stay those of a
/// writer that knew them in advance).
pub fn zip<W: Write + Seek>(top: &str, entries: &[Entry], mtime: u64, mut out: W) -> io::Result<W> {
    let (time, date) = dos_time(mtime);
    let mut records = Vec::new();
    let mut items: Vec<(String, Option<&Entry>)> = vec![(format!("{top}/"), None)];
    items.extend(
        sorted(entries)
            .into_iter()
            .map(|e| (format!("{top}/{}", e.name), Some(e))),
    );
    let start = out.stream_position()?;
    for (name, entry) in items {
        let offset = out.stream_position()? - start;
        let mut rec = ZipRecord {
            crc: 0,
            compressed: 0,
            size: 0,
            offset: u32::try_from(offset).map_err(|_| too_big("the archive"))?,
            // Directory: S_IFDIR | 0755 in the high half, MS-DOS directory bit low.
            method: if entry.is_some() { 8 } else { 0 },
            external: entry.map_or((0o040_755 << 16) | 0x10, |e| (0o100_000 | mode(e)) << 16),
            name,
        };
        let mut header = 0x0403_4b50u32.to_le_bytes().to_vec();
        shared_fields(&mut header, &rec, time, date);
        header.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        header.extend_from_slice(rec.name.as_bytes());
        out.write_all(&header)?;
        if let Some(e) = entry {
            let (crc, compressed, size) = deflate_entry(e, &mut out)?;
            rec.crc = crc;
            rec.compressed = u32::try_from(compressed).map_err(|_| too_big(&rec.name))?;
            rec.size = u32::try_from(size).map_err(|_| too_big(&rec.name))?;
            let end = out.stream_position()?;
            out.seek(SeekFrom::Start(start + offset + LOCAL_CRC_AT))?;
            for field in [rec.crc, rec.compressed, rec.size] {
                out.write_all(&field.to_le_bytes())?;
            }
            out.seek(SeekFrom::Start(end))?;
        }
        records.push(rec);
    }
    let mut tail = Vec::new();
    let cd_start = out.stream_position()? - start;
    for rec in &records {
        tail.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        tail.extend_from_slice(&0x031eu16.to_le_bytes()); // made by: Unix, spec 3.0
        shared_fields(&mut tail, rec, time, date);
        tail.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        tail.extend_from_slice(&rec.external.to_le_bytes());
        tail.extend_from_slice(&rec.offset.to_le_bytes());
        tail.extend_from_slice(rec.name.as_bytes());
    }
    let cd_start = u32::try_from(cd_start).map_err(|_| too_big("the archive"))?;
    let cd_size = u32::try_from(tail.len()).map_err(|_| too_big("the archive"))?;
    cd_start
        .checked_add(cd_size)
        .ok_or_else(|| too_big("the archive"))?;
    let n = u16::try_from(records.len()).map_err(|_| too_big("the entry count"))?;
    tail.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    tail.extend_from_slice(&[0; 4]); // this disk, disk with the central directory
    tail.extend_from_slice(&n.to_le_bytes());
    tail.extend_from_slice(&n.to_le_bytes());
    tail.extend_from_slice(&cd_size.to_le_bytes());
    tail.extend_from_slice(&cd_start.to_le_bytes());
    tail.extend_from_slice(&0u16.to_le_bytes());
    out.write_all(&tail)?;
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    /// Entries for (name, bytes, executable), written as files into `dir`.
    fn written(dir: &Path, specs: Vec<(&str, Vec<u8>, bool)>) -> Vec<Entry> {
        specs
            .into_iter()
            .map(|(name, data, executable)| {
                let path = dir.join(name);
                std::fs::write(&path, &data).unwrap();
                Entry::from_file(name.into(), &path, executable).unwrap()
            })
            .collect()
    }

    fn entries(dir: &Path) -> Vec<Entry> {
        written(
            dir,
            vec![
                ("tool", b"\x7fELF pretend binary".repeat(100), true),
                ("README.md", b"read me\n".to_vec(), false),
            ],
        )
    }

    fn tgz_bytes(top: &str, entries: &[Entry], mtime: u64) -> Vec<u8> {
        tar_gz(top, entries, mtime, Vec::new()).unwrap()
    }

    fn zip_bytes(top: &str, entries: &[Entry], mtime: u64) -> Vec<u8> {
        zip(top, entries, mtime, Cursor::new(Vec::new()))
            .unwrap()
            .into_inner()
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

    fn big_entries(dir: &Path) -> Vec<Entry> {
        written(
            dir,
            vec![
                ("tool", pseudo_random(700_000, 1), true),
                ("README.md", b"read me\n".to_vec(), false),
                ("empty", vec![], false),
            ],
        )
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
        let d = tempfile::tempdir().unwrap();
        let tgz = tgz_bytes("pkg-1.0-t", &big_entries(d.path()), 1_700_000_000);
        let zip = zip_bytes("pkg-1.0-t", &big_entries(d.path()), 1_700_000_000);
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
        let d = tempfile::tempdir().unwrap();
        let entries = entries(d.path());
        let mut reversed = entries.clone();
        reversed.reverse();
        assert_eq!(tgz_bytes("x", &entries, 1), tgz_bytes("x", &reversed, 1));
        assert_eq!(
            zip_bytes("x", &entries, DEFAULT_MTIME),
            zip_bytes("x", &reversed, DEFAULT_MTIME)
        );
        assert_ne!(
            zip_bytes("x", &entries, DEFAULT_MTIME),
            zip_bytes("x", &entries, DEFAULT_MTIME + 86_400)
        );
    }

    #[test]
    fn tar_gz_holds_the_files_with_their_modes_and_time() {
        let d = tempfile::tempdir().unwrap();
        let bytes = tgz_bytes("pkg-1.0-t", &entries(d.path()), 1_700_000_000);
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
        let d = tempfile::tempdir().unwrap();
        let bytes = zip_bytes("p", &entries(d.path()), DEFAULT_MTIME);
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
