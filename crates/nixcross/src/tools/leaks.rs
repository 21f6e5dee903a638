//! Build-machine paths left in an output's bytes: the home directory, cargo's registry,
//! a build directory the caller names, and Nix store paths that were not scrubbed.
//! Such paths make outputs differ between machines and, for store paths, give a package
//! runtime references it does not need. Allowed prefixes (e.g. OpenSSL's install
//! prefix, an upstream limitation) are named by the caller.

/// The paths `find` looks for, and the ones it lets through.
#[derive(Debug, Default, Clone)]
pub struct PathPolicy {
    /// Prefixes that must not appear (home, CARGO_HOME, the build directory).
    pub forbidden: Vec<String>,
    /// Occurrences starting with one of these are allowed.
    pub allowed: Vec<String>,
}

impl PathPolicy {
    /// HOME and CARGO_HOME from the environment (when they are real directories that
    /// are not `/`, and not Nix's `/homeless-shelter`), plus `forbid` and `allow`.
    pub fn from_env(
        env: &dyn Fn(&str) -> Option<String>,
        forbid: &[String],
        allow: &[String],
    ) -> PathPolicy {
        let mut forbidden: Vec<String> = Vec::new();
        let home = env("HOME").filter(|h| usable(h));
        let cargo_home = env("CARGO_HOME")
            .or_else(|| home.as_ref().map(|h| format!("{h}/.cargo")))
            .filter(|c| usable(c));
        for p in home
            .into_iter()
            .chain(cargo_home)
            .chain(forbid.iter().cloned())
        {
            let p = p.trim_end_matches('/').to_string();
            if !p.is_empty() && !forbidden.contains(&p) {
                forbidden.push(p);
            }
        }
        PathPolicy {
            forbidden,
            allowed: allow
                .iter()
                .map(|a| a.trim_end_matches('/').to_string())
                .collect(),
        }
    }
}

fn usable(p: &str) -> bool {
    let p = p.trim_end_matches('/');
    !p.is_empty() && p != "/homeless-shelter" && std::path::Path::new(p).is_dir()
}

/// Up to `limit` distinct leaked paths in `data`, each as the printable text around it.
pub fn find(data: &[u8], policy: &PathPolicy, limit: usize) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut record = |at: usize| {
        let text = printable_from(data, at);
        if policy.allowed.iter().any(|a| text.starts_with(a.as_str())) {
            return;
        }
        if !found.contains(&text) && found.len() < limit {
            found.push(text);
        }
    };
    for prefix in &policy.forbidden {
        for at in occurrences(data, prefix.as_bytes()) {
            // A prefix only counts as a path if the next byte continues it ("/home/u"
            // must not match "/home/user2").
            let next = data.get(at + prefix.len()).copied();
            if matches!(next, None | Some(b'/') | Some(0) | Some(b'"') | Some(b'\'')) {
                record(at);
            }
        }
    }
    for at in occurrences(data, b"/nix/store/") {
        let hash = &data[at + 11..];
        if is_store_hash(hash) && !hash[..32].iter().all(|&b| b == b'e') {
            record(at);
        }
    }
    found
}

/// A Nix store hash: 32 characters of Nix's base-32 alphabet, then `-`.
fn is_store_hash(s: &[u8]) -> bool {
    s.len() > 32
        && s[32] == b'-'
        && s[..32]
            .iter()
            .all(|b| b"0123456789abcdfghijklmnpqrsvwxyz".contains(b))
}

fn occurrences<'a>(data: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let first = needle.first().copied();
    (0..data.len().saturating_sub(needle.len() - 1))
        .filter(move |&i| Some(data[i]) == first && data[i..].starts_with(needle))
}

/// The printable run starting at `at` (up to 160 bytes).
fn printable_from(data: &[u8], at: usize) -> String {
    let end = data[at..]
        .iter()
        .take(160)
        .position(|b| !(0x20..0x7f).contains(b))
        .map_or((at + 160).min(data.len()), |n| at + n);
    String::from_utf8_lossy(&data[at..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(forbidden: &[&str], allowed: &[&str]) -> PathPolicy {
        PathPolicy {
            forbidden: forbidden.iter().map(|s| s.to_string()).collect(),
            allowed: allowed.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_registry_path_under_home_is_found_with_its_text() {
        let data = b"\0panicked at /home/ci/.cargo/registry/src/x-1.0/src/lib.rs\0";
        let found = find(data, &policy(&["/home/ci"], &[]), 5);
        assert_eq!(found, ["/home/ci/.cargo/registry/src/x-1.0/src/lib.rs"]);
    }

    #[test]
    fn a_longer_name_sharing_the_prefix_is_not_the_home_directory() {
        let data = b"/home/ci2/notes.txt\0";
        assert!(find(data, &policy(&["/home/ci"], &[]), 5).is_empty());
    }

    #[test]
    fn unscrubbed_store_paths_are_found_and_scrubbed_ones_pass() {
        // crane and nixpkgs scrub references by writing e's over the hash.
        let data = b"/nix/store/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee-vendor/x.rs\0/nix/store/0123456789abcdfghijklmnpqrsvwxyz-rust/lib.rs\0";
        let found = find(data, &PathPolicy::default(), 5);
        assert_eq!(
            found,
            ["/nix/store/0123456789abcdfghijklmnpqrsvwxyz-rust/lib.rs"]
        );
    }

    #[test]
    fn an_allowed_prefix_is_let_through() {
        let data = b"ENGINESDIR: \"/b/t/openssl-build/install/lib/engines-3\"\0";
        let p = policy(&["/b"], &["/b/t/openssl-build/install"]);
        assert!(find(data, &p, 5).is_empty());
        assert_eq!(find(data, &policy(&["/b"], &[]), 5).len(), 1);
    }

    #[test]
    fn home_is_ignored_when_it_is_root_or_nixs_homeless_shelter() {
        for home in ["/", "/homeless-shelter"] {
            let env = |k: &str| (k == "HOME").then(|| home.to_string());
            assert!(PathPolicy::from_env(&env, &[], &[]).forbidden.is_empty());
        }
    }
}
