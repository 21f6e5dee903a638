//! chrono with its default features: local time needs the system time zone, which on
//! macOS comes from CoreFoundation (iana-time-zone -> core-foundation-sys).
use chrono::{Local, Offset, TimeZone, Utc};

fn main() {
    let now = Local::now();
    let offset = now.offset().fix().local_minus_utc();
    let epoch = Utc.timestamp_opt(0, 0).unwrap();
    // The time zone's name differs between machines; that it resolves does not.
    let zone = iana_time_zone_resolves();
    println!(
        "chrono-local: epoch={} offset_within_a_day={} zone_resolves={zone}",
        epoch.to_rfc3339(),
        offset.abs() < 86_400
    );
}

/// chrono asks the OS for the time zone when it has no TZ variable; it then either knows
/// one or falls back to UTC, and both are a valid answer here.
fn iana_time_zone_resolves() -> bool {
    Local.timestamp_opt(86_400, 0).single().is_some()
}
