//! A C ABI over Rust code that uses std (collections, formatting, allocation), so a host
//! program that prints these results proves the library's std works where it is loaded.

use std::collections::BTreeMap;
use std::ffi::c_char;

/// The sum of `values[0..len]`.
///
/// # Safety
/// `values` points to `len` readable u32s (or `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn c_abi_lib_sum(values: *const u32, len: usize) -> u64 {
    if len == 0 {
        return 0;
    }
    // SAFETY: the caller promises `len` readable values.
    let values = unsafe { std::slice::from_raw_parts(values, len) };
    values.iter().map(|&v| u64::from(v)).sum()
}

/// Writes a NUL-terminated description into `buf` (at most `len` bytes) and returns
/// its length without the NUL.
///
/// # Safety
/// `buf` points to `len` writable bytes, `len` > 0.
#[no_mangle]
pub unsafe extern "C" fn c_abi_lib_describe(buf: *mut c_char, len: usize) -> usize {
    let mut words = BTreeMap::new();
    for w in "the quick brown fox jumps over the lazy dog the end".split(' ') {
        *words.entry(w).or_insert(0u32) += 1;
    }
    let text = format!(
        "words={} the={} pointer_bits={}",
        words.len(),
        words["the"],
        usize::BITS
    );
    let n = text.len().min(len - 1);
    // SAFETY: the caller promises `len` writable bytes; n < len.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), n);
        *buf.add(n) = 0;
    }
    n
}
