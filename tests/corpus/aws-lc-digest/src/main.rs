//! Prints one line computed by aws-lc's C and assembly code (NASM on x86_64 Windows).
use aws_lc_rs::digest;

fn main() {
    let d = digest::digest(&digest::SHA256, b"nixcross");
    let hex: String = d.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    println!("aws-lc-digest: sha256(nixcross)={hex}");
}
