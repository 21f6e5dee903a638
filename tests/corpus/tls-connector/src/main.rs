//! native-tls: builds a TLS client connector with the platform's TLS library
//! (Security.framework on macOS, SChannel on Windows, vendored OpenSSL on musl).
fn main() {
    let connector = native_tls::TlsConnector::builder()
        .min_protocol_version(Some(native_tls::Protocol::Tlsv12))
        .build();
    println!("tls-connector: connector built={}", connector.is_ok());
}
