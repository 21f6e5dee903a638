//! sysinfo: memory and disks, through IOKit and CoreFoundation on macOS, /proc on Linux,
//! the Win32 API on Windows.
use sysinfo::{Disks, System};

fn main() {
    let mut sys = System::new().expect("sysinfo supports this OS");
    sys.refresh_memory();
    // Which disks exist depends on the machine; that listing them works does not.
    let disks = Disks::new_with_refreshed_list().expect("sysinfo lists disks here");
    let sizes_known = disks
        .iter()
        .all(|d| d.total_space() >= d.available_space());
    println!(
        "sysinfo-memory: total_memory_known={} disk_sizes_consistent={sizes_known}",
        sys.total_memory() > 0
    );
}
