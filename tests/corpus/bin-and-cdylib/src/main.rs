fn main() {
    let longest = (1..1000u64)
        .max_by_key(|&n| bin_and_cdylib::bin_and_cdylib_steps(n))
        .unwrap();
    println!(
        "bin-and-cdylib: longest_below_1000={longest} steps={}",
        bin_and_cdylib::bin_and_cdylib_steps(longest)
    );
}
