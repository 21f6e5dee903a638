//! rustls with the ring provider: a ClientConfig is built and a handshake starts.
use std::sync::Arc;

use rustls::{ClientConfig, ClientConnection, RootCertStore};

fn main() {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let suites = provider.cipher_suites.len();
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(RootCertStore::empty())
        .with_no_client_auth();
    let mut conn = ClientConnection::new(Arc::new(config), "example.com".try_into().unwrap()).unwrap();
    let mut hello = Vec::new();
    conn.write_tls(&mut hello).unwrap();
    println!(
        "rustls-config: suites={suites} client_hello_record_type={} wants_read={}",
        hello[0],
        conn.wants_read()
    );
}
