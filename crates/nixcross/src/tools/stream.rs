//! Reading release inputs in pieces: bundle and universal2 copy files that can be
//! gigabytes, so they hash and copy them through readers instead of holding them in
//! memory, and make sure what they copy is what was checked.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub type Sha256Digest = [u8; 32];

pub fn hex(digest: &Sha256Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_bytes(data: &[u8]) -> Sha256Digest {
    Sha256::digest(data).into()
}

/// Size and SHA-256 of everything `reader` yields.
pub fn hash_reader(mut reader: impl Read) -> io::Result<(u64, Sha256Digest)> {
    let mut hasher = Sha256::new();
    let size = io::copy(&mut reader, &mut hasher)?;
    Ok((size, hasher.finalize().into()))
}

pub fn hash_file(path: &Path) -> io::Result<(u64, Sha256Digest)> {
    hash_reader(File::open(path)?)
}

/// A file that must still hold what was checked: exactly `size` bytes with the SHA-256
/// they had then. Reading it to the end fails if it changed meanwhile (a build still
/// writing it), so a release never holds bytes other than the ones checked.
pub struct Verified {
    file: File,
    path: PathBuf,
    left: u64,
    hasher: Sha256,
    expected: Sha256Digest,
    done: bool,
}

impl Verified {
    pub fn open(path: &Path, size: u64, sha256: Sha256Digest) -> io::Result<Verified> {
        Ok(Verified {
            file: File::open(path)?,
            path: path.to_path_buf(),
            left: size,
            hasher: Sha256::new(),
            expected: sha256,
            done: false,
        })
    }

    fn changed(&self, how: &str) -> io::Error {
        io::Error::other(format!(
            "{} {how} since it was checked; run this again once nothing writes it any more",
            self.path.display()
        ))
    }

    /// At the end of the expected bytes: nothing may follow, and the hash must match.
    fn finish(&mut self) -> io::Result<()> {
        if self.file.read(&mut [0u8; 1])? != 0 {
            return Err(self.changed("grew"));
        }
        let got: Sha256Digest = std::mem::take(&mut self.hasher).finalize().into();
        if got != self.expected {
            return Err(self.changed("changed"));
        }
        self.done = true;
        Ok(())
    }
}

impl Read for Verified {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            if !self.done {
                self.finish()?;
            }
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.file.read(&mut buf[..want])?;
        if n == 0 && want > 0 {
            return Err(self.changed("shrank"));
        }
        self.hasher.update(&buf[..n]);
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(path: &Path, size: u64, sha: Sha256Digest) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        Verified::open(path, size, sha)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn a_file_changed_after_its_check_is_an_error_naming_it() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("tool");
        std::fs::write(&f, b"checked bytes").unwrap();
        let (size, sha) = hash_file(&f).unwrap();
        assert_eq!(read_all(&f, size, sha).unwrap(), b"checked bytes");
        for (now, how) in [
            (&b"checked bytes!"[..], "grew"),
            (b"checked", "shrank"),
            (b"checked BYTES", "changed"),
        ] {
            std::fs::write(&f, now).unwrap();
            let e = read_all(&f, size, sha).unwrap_err().to_string();
            assert!(e.contains(how) && e.contains("tool"), "{e}");
        }
    }
}
