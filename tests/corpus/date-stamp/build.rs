// C code that stamps its build date, built by cc-rs as -sys crates do (libmimalloc-sys,
// many C libraries' version strings).
fn main() {
    println!("cargo:rerun-if-changed=c/stamp.c");
    cc::Build::new().file("c/stamp.c").opt_level(2).compile("stamp");
}
