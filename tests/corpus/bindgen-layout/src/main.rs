//! Prints one line that holds only if bindgen parsed the C headers for this target: the
//! struct it generated has the size, alignment and field offsets the C compiler gives it.
#![allow(non_camel_case_types, dead_code)]

mod ffi {
    include!(concat!(env!("OUT_DIR"), "/record.rs"));
}

use std::mem::{align_of, offset_of, size_of};

fn main() {
    let mut c = [0usize; 16];
    let n = unsafe { ffi::record_layout(c.as_mut_ptr(), c.len()) };
    let rust = [
        size_of::<ffi::record>(),
        align_of::<ffi::record>(),
        offset_of!(ffi::record, tag),
        offset_of!(ffi::record, count),
        offset_of!(ffi::record, ptr),
        offset_of!(ffi::record, len),
        offset_of!(ffi::record, wide),
        offset_of!(ffi::record, big),
        offset_of!(ffi::record, when),
        offset_of!(ffi::record, value),
    ];
    let same = n == rust.len() && c[..n] == rust[..];
    if !same {
        eprintln!("C layout {:?}, bindgen's {:?}", &c[..n], rust);
    }
    println!("bindgen-layout: fields=8 layout_matches_c={same}");
}
