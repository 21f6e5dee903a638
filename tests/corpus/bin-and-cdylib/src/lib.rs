//! The library half: a C ABI function the binary also calls through the rlib.

/// The Collatz stopping time of `n`.
#[no_mangle]
pub extern "C" fn bin_and_cdylib_steps(mut n: u64) -> u32 {
    let mut steps = 0;
    while n > 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    steps
}
