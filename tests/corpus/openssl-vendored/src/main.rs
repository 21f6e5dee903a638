//! openssl with `vendored`: OpenSSL built from source by openssl-src through the wrapper.
fn main() {
    let digest = openssl::sha::sha256(b"nixcross");
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let mut key = [0u8; 32];
    openssl::pkcs5::pbkdf2_hmac(b"pw", b"salt", 1000, openssl::hash::MessageDigest::sha256(), &mut key).unwrap();
    println!(
        "openssl-vendored: {} sha256={} pbkdf2={:02x}{:02x}",
        openssl::version::version(),
        &hex[..16],
        key[0],
        key[1]
    );
}
