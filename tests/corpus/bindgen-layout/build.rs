// Bindings generated at build time by bindgen, from a header that includes the C
// library's own headers: libclang must parse them for the target (its `long`, `wchar_t`,
// `struct timespec`), which BINDGEN_EXTRA_CLANG_ARGS_<target> (nixcross env / Nix) sets
// up with zig's libc headers for that target. The C compiler's view of the same struct
// is compiled by cc-rs; main.rs compares the two.
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=c");
    cc::Build::new().file("c/layout.c").compile("layout");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    bindgen::Builder::default()
        .header("c/record.h")
        .allowlist_type("record")
        .allowlist_function("record_.*")
        .derive_default(true)
        .generate()
        .expect("bindgen could not parse c/record.h for the target")
        .write_to_file(out.join("record.rs"))
        .unwrap();
}
