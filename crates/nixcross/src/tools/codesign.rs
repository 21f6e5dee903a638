//! Verifies the embedded code signature of a Mach-O file the way the kernel checks an
//! ad-hoc signature: every page hash in the CodeDirectory must match the file's bytes up
//! to the signature. Anything that edits a signed binary afterwards (strip, patching)
//! makes a page hash wrong and macOS kills the process at launch.

use sha2::{Digest, Sha256};

const CSMAGIC_EMBEDDED_SIGNATURE: u32 = 0xfade_0cc0;
const CSMAGIC_CODEDIRECTORY: u32 = 0xfade_0c02;
const CSSLOT_CODEDIRECTORY: u32 = 0;
const CS_ADHOC: u32 = 0x2;
const CS_LINKER_SIGNED: u32 = 0x2_0000;
const CS_HASHTYPE_SHA256: u8 = 2;
/// The slot of a CMS signature (a certificate-signed file): page hashes then also sit
/// under a signature nixcross cannot renew.
const CSSLOT_SIGNATURESLOT: u32 = 0x1_0000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub adhoc: bool,
    pub linker_signed: bool,
    pub identifier: String,
    pub pages: usize,
}

impl Signature {
    pub fn describe(&self) -> String {
        format!(
            "{}{} '{}', {} pages verified",
            if self.adhoc { "ad hoc" } else { "certificate" },
            if self.linker_signed {
                " (linker-signed)"
            } else {
                ""
            },
            self.identifier,
            self.pages
        )
    }
}

fn be32(d: &[u8], off: usize) -> Result<u32, String> {
    d.get(off..off + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| format!("truncated at offset {off}"))
}

/// `sig_off`/`sig_size` come from LC_CODE_SIGNATURE.
pub fn verify(file: &[u8], sig_off: usize, sig_size: usize) -> Result<Signature, String> {
    let blob = file
        .get(sig_off..sig_off.checked_add(sig_size).ok_or("size overflows")?)
        .ok_or("LC_CODE_SIGNATURE points past the end of the file")?;
    if be32(blob, 0)? != CSMAGIC_EMBEDDED_SIGNATURE {
        return Err("no embedded-signature SuperBlob".into());
    }
    let count = be32(blob, 8)? as usize;
    let mut cd_off = None;
    for i in 0..count {
        let slot = be32(blob, 12 + i * 8)?;
        let off = be32(blob, 16 + i * 8)? as usize;
        if slot == CSSLOT_CODEDIRECTORY {
            cd_off = Some(off);
        }
    }
    let cd_off = cd_off.ok_or("no CodeDirectory")?;
    let cd = blob
        .get(cd_off..)
        .ok_or("CodeDirectory outside the signature")?;
    if be32(cd, 0)? != CSMAGIC_CODEDIRECTORY {
        return Err("bad CodeDirectory magic".into());
    }
    let cd_len = be32(cd, 4)? as usize;
    let cd = cd.get(..cd_len).ok_or("CodeDirectory truncated")?;
    let flags = be32(cd, 12)?;
    let hash_offset = be32(cd, 16)? as usize;
    let ident_offset = be32(cd, 20)? as usize;
    let n_code_slots = be32(cd, 28)? as usize;
    let code_limit = be32(cd, 32)? as usize;
    let hash_size = *cd.get(36).ok_or("truncated")? as usize;
    let hash_type = *cd.get(37).ok_or("truncated")?;
    let page_shift = *cd.get(39).ok_or("truncated")?;
    if hash_type != CS_HASHTYPE_SHA256 || hash_size != 32 {
        return Err(format!("hash type {hash_type} (size {hash_size}) is not SHA-256; only SHA-256 signatures are checked"));
    }
    if code_limit != sig_off {
        return Err(format!("signature covers {code_limit} bytes but the code ends at {sig_off}: the file was changed after signing"));
    }
    let page = if page_shift == 0 {
        code_limit
    } else {
        1usize << page_shift
    };
    if n_code_slots != code_limit.div_ceil(page) {
        return Err(format!(
            "{n_code_slots} page hashes for {code_limit} bytes of {page}-byte pages"
        ));
    }
    for i in 0..n_code_slots {
        let start = i * page;
        let end = (start + page).min(code_limit);
        let want = cd
            .get(hash_offset + i * 32..hash_offset + (i + 1) * 32)
            .ok_or("hash slots truncated")?;
        let got = Sha256::digest(&file[start..end]);
        if got.as_slice() != want {
            return Err(format!("page {i} (bytes {start}..{end}) does not match its hash: the file was changed after signing"));
        }
    }
    let ident = cd
        .get(ident_offset..)
        .ok_or("identifier outside CodeDirectory")?;
    let identifier = String::from_utf8_lossy(
        &ident[..ident.iter().position(|&b| b == 0).unwrap_or(ident.len())],
    )
    .into_owned();
    Ok(Signature {
        adhoc: flags & CS_ADHOC != 0,
        linker_signed: flags & CS_LINKER_SIGNED != 0,
        identifier,
        pages: n_code_slots,
    })
}

/// Recomputes the page hashes of an ad-hoc signature after bytes inside the signed range
/// were replaced (same length): what `codesign -s -` would write, as the kernel checks it.
/// An ad-hoc signature covers nothing but those hashes, so this is all re-signing is.
/// Refuses a certificate signature (its CMS blob signs the CodeDirectory).
pub fn reseal(file: &mut [u8], sig_off: usize, sig_size: usize) -> Result<usize, String> {
    let end = sig_off.checked_add(sig_size).ok_or("size overflows")?;
    if end > file.len() {
        return Err("LC_CODE_SIGNATURE points past the end of the file".into());
    }
    let (code, sig) = file.split_at_mut(sig_off);
    let blob = &mut sig[..sig_size];
    if be32(blob, 0)? != CSMAGIC_EMBEDDED_SIGNATURE {
        return Err("no embedded-signature SuperBlob".into());
    }
    let count = be32(blob, 8)? as usize;
    let mut cd_off = None;
    for i in 0..count {
        let slot = be32(blob, 12 + i * 8)?;
        let off = be32(blob, 16 + i * 8)? as usize;
        match slot {
            CSSLOT_CODEDIRECTORY => cd_off = Some(off),
            CSSLOT_SIGNATURESLOT => {
                return Err(
                    "certificate-signed (CMS blob): re-sign it with codesign after changing it"
                        .into(),
                )
            }
            _ => {}
        }
    }
    let cd_off = cd_off.ok_or("no CodeDirectory")?;
    let cd = blob
        .get_mut(cd_off..)
        .ok_or("CodeDirectory outside the signature")?;
    if be32(cd, 0)? != CSMAGIC_CODEDIRECTORY {
        return Err("bad CodeDirectory magic".into());
    }
    let flags = be32(cd, 12)?;
    if flags & CS_ADHOC == 0 {
        return Err("not an ad-hoc signature".into());
    }
    let hash_offset = be32(cd, 16)? as usize;
    let n_code_slots = be32(cd, 28)? as usize;
    let code_limit = be32(cd, 32)? as usize;
    let hash_size = *cd.get(36).ok_or("truncated")? as usize;
    let hash_type = *cd.get(37).ok_or("truncated")?;
    let page_shift = *cd.get(39).ok_or("truncated")?;
    if hash_type != CS_HASHTYPE_SHA256 || hash_size != 32 {
        return Err(format!("hash type {hash_type} is not SHA-256"));
    }
    if code_limit != sig_off {
        return Err(format!(
            "signature covers {code_limit} bytes but the code ends at {sig_off}"
        ));
    }
    let page = if page_shift == 0 {
        code_limit
    } else {
        1usize << page_shift
    };
    if n_code_slots != code_limit.div_ceil(page) {
        return Err(format!(
            "{n_code_slots} page hashes for {code_limit} bytes of {page}-byte pages"
        ));
    }
    let mut changed = 0;
    for i in 0..n_code_slots {
        let start = i * page;
        let got = Sha256::digest(&code[start..(start + page).min(code_limit)]);
        let slot = cd
            .get_mut(hash_offset + i * 32..hash_offset + (i + 1) * 32)
            .ok_or("hash slots truncated")?;
        if slot != got.as_slice() {
            slot.copy_from_slice(&got);
            changed += 1;
        }
    }
    Ok(changed)
}
