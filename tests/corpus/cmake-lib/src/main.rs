//! Prints one line that holds only if CMake built the C library for this target: its
//! CPU-specific source matches the CPU Rust compiled for, and its configure check linked.
use std::ffi::CStr;
use std::os::raw::{c_char, c_int};

extern "C" {
    fn cmakelib_arch() -> *const c_char;
    fn cmakelib_answer() -> c_int;
}

fn main() {
    let arch = unsafe { CStr::from_ptr(cmakelib_arch()) }.to_str().unwrap();
    let answer = unsafe { cmakelib_answer() };
    println!(
        "cmake-lib: cpu_sources_match={} configure_check_linked={}",
        arch == std::env::consts::ARCH,
        answer == 42
    );
}
