//! ring: C and assembly compiled by cc-rs through the wrapper.
use ring::{digest, hmac};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn main() {
    let d = digest::digest(&digest::SHA256, b"nixcross");
    let key = hmac::Key::new(hmac::HMAC_SHA256, b"key");
    let tag = hmac::sign(&key, b"nixcross");
    println!("ring-digest: sha256={} hmac={}", hex(d.as_ref()), &hex(tag.as_ref())[..16]);
}
