//! `nixcross scrub --store-path P FILES`: removes references to store paths from built
//! files, as nixpkgs' remove-references-to does (the 32-character hash of
//! `/nix/store/<hash>-name` becomes `eeee…`, so the path no longer keeps P alive), and then
//! renews the page hashes of an ad-hoc signed Mach-O, which sed-style scrubbing breaks
//! (macOS kills an arm64 program whose signature does not verify).
//!
//! The Nix layer runs it for the nixcross package: some C libraries bake the compiler's
//! command line into the binary (OpenSSL's `OpenSSL_version(OPENSSL_CFLAGS)` names the
//! `nixcross-<target>-cc` link), which would make the wrapper a runtime dependency.

use std::fs;
use std::path::Path;

use nixcross::error::Error;

use super::codesign;

/// `/nix/store/<hash>-` of a store path, and the same with the hash made of `e`s.
fn pattern(store_path: &str) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let bad = || {
        Error::Usage(format!(
            "--store-path {store_path} is not a store path (<store dir>/<32-character hash>-<name>)"
        ))
    };
    let (dir, base) = store_path
        .trim_end_matches('/')
        .rsplit_once('/')
        .ok_or_else(bad)?;
    let hash = base.get(..32).ok_or_else(bad)?;
    // Nix's base32 alphabet: digits and lower-case letters without e, o, u, t.
    let nix32 = |c: u8| c.is_ascii_digit() || (c.is_ascii_lowercase() && !b"eout".contains(&c));
    if dir.is_empty() || !hash.bytes().all(nix32) || base.as_bytes().get(32) != Some(&b'-') {
        return Err(bad());
    }
    let from = format!("{dir}/{hash}-").into_bytes();
    let to = format!("{dir}/{}-", "e".repeat(32)).into_bytes();
    Ok((from, to))
}

fn replace_all(data: &mut [u8], from: &[u8], to: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i + from.len() <= data.len() {
        if &data[i..i + from.len()] == from {
            data[i..i + from.len()].copy_from_slice(to);
            n += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    n
}

fn u32_at(d: &[u8], off: usize, big: bool) -> Option<u32> {
    let b: [u8; 4] = d.get(off..off + 4)?.try_into().ok()?;
    Some(if big {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

fn u64_at(d: &[u8], off: usize) -> Option<u64> {
    let b: [u8; 8] = d.get(off..off + 8)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

/// The (offset, size) of each Mach-O in `data`: the file itself, or a universal file's
/// slices. Empty for anything else.
fn macho_slices(data: &[u8]) -> Vec<(usize, usize)> {
    match u32_at(data, 0, true) {
        Some(0xcafe_babe) | Some(0xcafe_babf) => {
            let wide = data[3] == 0xbf;
            let n = u32_at(data, 4, true).unwrap_or(0) as usize;
            let size = if wide { 32 } else { 20 };
            (0..n)
                .filter_map(|i| {
                    let a = 8 + i * size;
                    if wide {
                        Some((
                            u64_at(data, a + 8)? as usize,
                            u64_at(data, a + 16)? as usize,
                        ))
                    } else {
                        Some((
                            u32_at(data, a + 8, true)? as usize,
                            u32_at(data, a + 12, true)? as usize,
                        ))
                    }
                })
                .filter(|(off, len)| off.checked_add(*len).is_some_and(|e| e <= data.len()))
                .collect()
        }
        _ if matches!(
            u32_at(data, 0, false),
            Some(0xfeed_facf) | Some(0xfeed_face)
        ) =>
        {
            vec![(0, data.len())]
        }
        _ => vec![],
    }
}

/// LC_CODE_SIGNATURE's (dataoff, datasize) in one thin Mach-O.
fn code_signature(m: &[u8]) -> Option<(usize, usize)> {
    let header = if u32_at(m, 0, false)? == 0xfeed_facf {
        32
    } else {
        28
    };
    let ncmds = u32_at(m, 16, false)? as usize;
    let mut at = header;
    for _ in 0..ncmds {
        let cmd = u32_at(m, at, false)?;
        let size = u32_at(m, at + 4, false)? as usize;
        if cmd == 0x1d {
            return Some((
                u32_at(m, at + 8, false)? as usize,
                u32_at(m, at + 12, false)? as usize,
            ));
        }
        if size == 0 {
            return None;
        }
        at += size;
    }
    None
}

/// What scrubbing one file did.
pub struct Scrubbed {
    pub replaced: usize,
    pub resealed_pages: usize,
}

/// Scrubs `data` in place.
pub fn scrub_bytes(data: &mut [u8], store_paths: &[String]) -> Result<Scrubbed, String> {
    let mut replaced = 0;
    for p in store_paths {
        let (from, to) = pattern(p).map_err(|e| e.to_string())?;
        replaced += replace_all(data, &from, &to);
    }
    let mut resealed_pages = 0;
    if replaced > 0 {
        for (off, len) in macho_slices(data) {
            let slice = &mut data[off..off + len];
            if let Some((sig_off, sig_size)) = code_signature(slice) {
                resealed_pages += codesign::reseal(slice, sig_off, sig_size)?;
            }
        }
    }
    Ok(Scrubbed {
        replaced,
        resealed_pages,
    })
}

/// Scrubs each file, rewriting it only when something changed (through a temporary file
/// renamed over it, keeping its mode).
pub fn scrub_files(
    files: &[std::path::PathBuf],
    store_paths: &[String],
) -> Result<Vec<(String, Scrubbed)>, Error> {
    for p in store_paths {
        pattern(p)?;
    }
    let io = |what: String| move |source| Error::Io { what, source };
    let mut done = Vec::new();
    for f in files {
        let mut data = fs::read(f).map_err(io(format!("reading {}", f.display())))?;
        let s = scrub_bytes(&mut data, store_paths)
            .map_err(|e| Error::Check(format!("{}: {e}", f.display())))?;
        if s.replaced > 0 {
            write_over(f, &data)?;
        }
        done.push((f.display().to_string(), s));
    }
    Ok(done)
}

fn write_over(path: &Path, data: &[u8]) -> Result<(), Error> {
    let io = |what: String| move |source| Error::Io { what, source };
    let perms = fs::metadata(path)
        .map_err(io(format!("reading {}", path.display())))?
        .permissions();
    let tmp = path.with_file_name(format!(
        ".{}.nixcross-scrub",
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    fs::write(&tmp, data).map_err(io(format!("writing {}", tmp.display())))?;
    fs::set_permissions(&tmp, perms)
        .map_err(io(format!("setting the mode of {}", tmp.display())))?;
    fs::rename(&tmp, path).map_err(io(format!("replacing {}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "/nix/store/0c8mlzmx8r4yvzj1jm3nnd7yaj7zh6wv-nixcross-0.1.0";

    #[test]
    fn the_hash_of_each_occurrence_becomes_es_and_nothing_else_changes() {
        let mut d =
            format!("compiler: {P}/libexec/nixcross/cc -O2\0and {P}-suffix\0/nix/store/other")
                .into_bytes();
        let before = d.len();
        let s = scrub_bytes(&mut d, &[P.to_string()]).unwrap();
        assert_eq!(s.replaced, 2);
        assert_eq!(d.len(), before);
        let text = String::from_utf8(d).unwrap();
        assert!(
            text.contains("/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-nixcross-0.1.0/libexec"),
            "{text}"
        );
        assert!(!text.contains("0c8mlzmx"));
        assert!(text.ends_with("/nix/store/other"));
    }

    #[test]
    fn something_that_is_not_a_store_path_is_refused() {
        for bad in [
            "/nix/store/short-x",
            "nixcross",
            "/nix/store/0c8mlzmx8r4yvzj1jm3nnd7yaj7zh6wE-x",
            "/nix/store/0c8mlzmx8r4yvzj1jm3nnd7yaj7zh6wvx",
        ] {
            assert!(pattern(bad).is_err(), "{bad}");
        }
        assert!(pattern(P).is_ok());
    }
}
