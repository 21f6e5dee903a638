//! Writes text-based stubs (TAPI `.tbd`, version 4): what a linker needs to link against
//! a dylib without having it: install name, versions, targets and exported symbols.
//! Also reads back the exports of the files it writes (for `imports`).

use std::collections::{BTreeMap, BTreeSet};

pub struct Stub<'a> {
    pub install_name: &'a str,
    pub current_version: &'a str,
    pub compatibility_version: &'a str,
    pub header: Vec<String>,
    /// All tbd targets, in output order (`x86_64-macos`, `arm64-macos`, …).
    pub targets: Vec<String>,
    /// Symbol -> the tbd targets that export it.
    pub symbols: BTreeMap<String, BTreeSet<String>>,
}

const WIDTH: usize = 100;
const INDENT: &str = "                         ";

fn flow_list(key_prefix: &str, items: &[&str]) -> String {
    let mut out = String::from(key_prefix);
    out.push_str("[ ");
    let mut col = out.len();
    for (i, item) in items.iter().enumerate() {
        let piece = if i + 1 < items.len() {
            format!("{item}, ")
        } else {
            format!("{item} ]")
        };
        if col + piece.len() > WIDTH && col > INDENT.len() + 2 {
            out = out.trim_end().to_string();
            out.push('\n');
            out.push_str(INDENT);
            col = INDENT.len();
        }
        out.push_str(&piece);
        col += piece.len();
    }
    if items.is_empty() {
        out.push(']');
    }
    out
}

/// Names the writer can spell: identifiers, plus `$` (Apple's variant suffixes such as
/// `_SecCertificateCopyPublicKey$LEGACYMAC`), which YAML needs quoted.
pub fn valid_symbol(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$')
}

fn yaml_scalar(s: &str) -> String {
    if s.contains('$') {
        format!("'{s}'")
    } else {
        s.to_string()
    }
}

pub fn write(stub: &Stub) -> String {
    let mut out = String::from("--- !tapi-tbd\n");
    for line in &stub.header {
        out.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
    }
    let targets: Vec<&str> = stub.targets.iter().map(String::as_str).collect();
    out.push_str("tbd-version:           4\n");
    out.push_str(&flow_list("targets:               ", &targets));
    out.push('\n');
    out.push_str(&format!("install-name:          '{}'\n", stub.install_name));
    out.push_str(&format!(
        "current-version:       {}\n",
        stub.current_version
    ));
    out.push_str(&format!(
        "compatibility-version: {}\n",
        stub.compatibility_version
    ));
    // One section per distinct set of targets: symbols every architecture has first.
    let mut groups: BTreeMap<Vec<&str>, Vec<String>> = BTreeMap::new();
    for (sym, ts) in &stub.symbols {
        let key: Vec<&str> = targets
            .iter()
            .copied()
            .filter(|t| ts.contains(*t))
            .collect();
        groups.entry(key).or_default().push(yaml_scalar(sym));
    }
    let mut order: Vec<_> = groups.into_iter().collect();
    order.sort_by_key(|(ts, _)| std::cmp::Reverse(ts.len()));
    out.push_str("exports:\n");
    for (ts, syms) in order {
        out.push_str(&flow_list("  - targets:           ", &ts));
        out.push('\n');
        let syms: Vec<&str> = syms.iter().map(String::as_str).collect();
        out.push_str(&flow_list("    symbols:           ", &syms));
        out.push('\n');
    }
    out.push_str("...\n");
    out
}

/// Install name and exported symbols per target of a stub written by `write`.
pub struct Parsed {
    pub install_name: String,
    pub exports: BTreeMap<String, BTreeSet<String>>,
}

pub fn parse(text: &str) -> Result<Parsed, String> {
    let mut install_name = None;
    let mut exports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current_targets: Vec<String> = vec![];
    let mut in_exports = false;
    // Join wrapped flow lists onto one line first.
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        if line.starts_with(INDENT) && !lines.is_empty() {
            let last = lines.last_mut().unwrap();
            last.push(' ');
            last.push_str(line.trim());
        } else {
            lines.push(line.to_string());
        }
    }
    let list = |s: &str| -> Vec<String> {
        s.trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .split(',')
            .map(|x| x.trim().trim_matches('\'').to_string())
            .filter(|x| !x.is_empty())
            .collect()
    };
    for line in &lines {
        if let Some(v) = line.strip_prefix("install-name:") {
            install_name = Some(v.trim().trim_matches('\'').to_string());
        } else if line.starts_with("exports:") {
            in_exports = true;
        } else if in_exports {
            if let Some(v) = line.trim_start().strip_prefix("- targets:") {
                current_targets = list(v);
            } else if let Some(v) = line.trim_start().strip_prefix("symbols:") {
                for t in &current_targets {
                    exports.entry(t.clone()).or_default().extend(list(v));
                }
            }
        }
    }
    Ok(Parsed {
        install_name: install_name.ok_or("no install-name")?,
        exports,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stub() -> Stub<'static> {
        let all: BTreeSet<String> = ["x86_64-macos", "arm64-macos"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut symbols = BTreeMap::new();
        for i in 0..40 {
            symbols.insert(format!("_CFSymbolNumber{i:02}"), all.clone());
        }
        symbols.insert(
            "_objc_msgSend_stret".into(),
            ["x86_64-macos".to_string()].into_iter().collect(),
        );
        Stub {
            install_name:
                "/System/Library/Frameworks/CoreFoundation.framework/Versions/A/CoreFoundation",
            current_version: "1",
            compatibility_version: "1",
            header: vec!["test".into()],
            targets: vec!["x86_64-macos".into(), "arm64-macos".into()],
            symbols,
        }
    }

    #[test]
    fn symbols_of_one_architecture_get_their_own_section() {
        // objc_msgSend_stret exists on x86_64 only: exporting it for arm64 would let a
        // link succeed that dyld then fails at launch.
        let text = write(&stub());
        let p = parse(&text).unwrap();
        assert!(p.exports["x86_64-macos"].contains("_objc_msgSend_stret"));
        assert!(!p.exports["arm64-macos"].contains("_objc_msgSend_stret"));
        assert_eq!(p.exports["arm64-macos"].len(), 40);
    }

    #[test]
    fn long_lists_wrap_and_read_back_whole() {
        let text = write(&stub());
        assert!(text.lines().all(|l| l.len() <= WIDTH + 30), "{text}");
        assert!(text.lines().count() > 10);
        let p = parse(&text).unwrap();
        assert_eq!(p.install_name, stub().install_name);
        assert_eq!(p.exports["x86_64-macos"].len(), 41);
    }

    #[test]
    fn symbol_names_are_plain_identifiers() {
        assert!(valid_symbol("_kCFAllocatorDefault"));
        assert!(valid_symbol("_SecCertificateCopyPublicKey$LEGACYMAC"));
        assert_eq!(yaml_scalar("_a$B"), "'_a$B'");
        assert!(!valid_symbol("_a b"));
    }
}
