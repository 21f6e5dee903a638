//! C code built by cc-rs that expands __DATE__ and __TIME__: it compiles for every
//! target, and the date it prints is SOURCE_DATE_EPOCH's (tests/run.sh sets 1980-01-01).
use std::ffi::{c_char, CStr};

extern "C" {
    fn date_stamp() -> *const c_char;
}

fn main() {
    // SAFETY: date_stamp returns a pointer to a string literal.
    let stamp = unsafe { CStr::from_ptr(date_stamp()) };
    println!("date-stamp: compiled {}", stamp.to_string_lossy());
}
