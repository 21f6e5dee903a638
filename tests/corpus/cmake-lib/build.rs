// A C library built with CMake through the cmake crate, as -sys crates such as
// libz-ng-sys, aws-lc-sys (its CMake builder) and many C++ wrappers do. Cross builds get
// nixcross's toolchain file from CMAKE_TOOLCHAIN_FILE_<target> (nixcross env / Nix).
fn main() {
    println!("cargo:rerun-if-changed=c");
    let dst = cmake::Config::new("c").build();
    println!("cargo:rustc-link-search=native={}/lib", dst.display());
    println!("cargo:rustc-link-lib=static=cmakelib");
}
