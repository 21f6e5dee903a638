//! argv rules as data: each rule in `targets.json` says which argument it matches, what
//! it does with it and why. This module only interprets them.

use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Which tool the wrapper is standing in for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
pub enum Role {
    #[serde(rename = "cc")]
    Cc,
    #[serde(rename = "c++")]
    Cxx,
    #[serde(rename = "linker")]
    Linker,
    #[serde(rename = "ar")]
    Ar,
    #[serde(rename = "ranlib")]
    Ranlib,
    #[serde(rename = "dlltool")]
    Dlltool,
    /// Not a zig tool: the guard build scripts and CMake run instead of pkg-config
    /// (`pkgconfig.rs`), so a cross build never gets the build machine's libraries.
    #[serde(rename = "pkg-config")]
    PkgConfig,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Cc,
        Role::Cxx,
        Role::Linker,
        Role::Ar,
        Role::Ranlib,
        Role::Dlltool,
        Role::PkgConfig,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Cc => "cc",
            Role::Cxx => "c++",
            Role::Linker => "linker",
            Role::Ar => "ar",
            Role::Ranlib => "ranlib",
            Role::Dlltool => "dlltool",
            Role::PkgConfig => "pkg-config",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }
}

#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Matcher {
    pub(crate) exact: Option<String>,
    #[serde(default)]
    pub(crate) exact_any: Vec<String>,
    pub(crate) prefix: Option<String>,
    #[serde(default)]
    pub(crate) prefix_any: Vec<String>,
    pub(crate) suffix: Option<String>,
    /// Matches a non-flag argument whose file name (the part after the last `/`) is one
    /// of these: it catches both `/sysroot/.../self-contained/crt1.o` and bare `crt1.o`.
    #[serde(default)]
    pub(crate) file_name_in: Vec<String>,
    /// With `file_name_in`: only a bare name, or a path containing one of these (what
    /// rustc passes), so a user's own `sub/crtbegin.o` is left alone.
    #[serde(default)]
    pub(crate) bare_or_path_containing: Vec<String>,
    /// Arguments starting with one of these do not match (`-Wl,--output-def,x.def`).
    #[serde(default)]
    pub(crate) not_prefix_any: Vec<String>,
}

impl Matcher {
    fn matches(&self, arg: &str) -> bool {
        if let Some(e) = &self.exact {
            if arg != e {
                return false;
            }
        }
        if !self.exact_any.is_empty() && !self.exact_any.iter().any(|e| e == arg) {
            return false;
        }
        if let Some(p) = &self.prefix {
            if !arg.starts_with(p.as_str()) {
                return false;
            }
        }
        if !self.prefix_any.is_empty()
            && !self.prefix_any.iter().any(|p| arg.starts_with(p.as_str()))
        {
            return false;
        }
        if let Some(s) = &self.suffix {
            if !arg.ends_with(s.as_str()) {
                return false;
            }
        }
        if self
            .not_prefix_any
            .iter()
            .any(|p| arg.starts_with(p.as_str()))
        {
            return false;
        }
        if !self.bare_or_path_containing.is_empty()
            && arg.contains('/')
            && !self
                .bare_or_path_containing
                .iter()
                .any(|p| arg.contains(p.as_str()))
        {
            return false;
        }
        if !self.file_name_in.is_empty() {
            if arg.starts_with('-') {
                return false;
            }
            let name = Path::new(arg)
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("");
            if !self.file_name_in.iter().any(|f| f == name) {
                return false;
            }
        }
        true
    }
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keyword {
    Drop,
}

#[derive(Debug, PartialEq, Deserialize)]
pub struct CpuRewrite {
    #[serde(default)]
    pub feature_aliases: BTreeMap<String, String>,
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Action {
    Keyword(Keyword),
    Replace {
        replace: Vec<String>,
    },
    /// Drop the flag and the separate value argument that follows it.
    DropWithValue {
        #[allow(dead_code)] // its presence selects the action
        drop_with_value: bool,
    },
    /// Fold the flag and its following value into one argument (`{value}` is substituted).
    JoinValue {
        join_value: String,
    },
    RewriteCpu {
        rewrite_cpu: CpuRewrite,
    },
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    pub why: String,
    pub roles: Vec<Role>,
    #[serde(default, rename = "match")]
    pub matcher: Option<Matcher>,
    #[serde(default)]
    pub action: Option<Action>,
    /// Arguments appended to every call of the role (once).
    #[serde(default)]
    pub append: Vec<String>,
    /// Arguments put before the caller's (once): a default the caller's own flag, later
    /// on the command line, still overrides.
    #[serde(default)]
    pub prepend: Vec<String>,
    /// Appended when an environment variable is set: variable -> argument, where `{}`
    /// becomes the variable's value.
    #[serde(default)]
    pub append_env: BTreeMap<String, String>,
    /// Like `append_env`, for a variable holding whitespace-separated values: one
    /// argument per value.
    #[serde(default)]
    pub append_env_each: BTreeMap<String, String>,
    /// Keep only the first of repeated `-l<name>` arguments.
    #[serde(default)]
    pub dedupe_libs: bool,
    /// The appended and prepended arguments only for a call that links: always for the
    /// linker, for cc and c++ when none of -c, -S, -E asks for less (a C program linked
    /// through nixcross gets what rustc's links get; a compile gets no linker flags,
    /// which clang would warn about).
    #[serde(default)]
    pub only_when_linking: bool,
    /// And only when one of these arguments is present (`-dynamiclib`).
    #[serde(default)]
    pub when_any: Vec<String>,
    /// And not when an argument starts with one of these (the caller's own `-install_name`).
    #[serde(default)]
    pub unless_prefix_any: Vec<String>,
}

/// Whether a cc/c++/linker call links (a compile-only call has -c, -S or -E).
pub fn links(args: &[String], role: Role) -> bool {
    role == Role::Linker
        || (matches!(role, Role::Cc | Role::Cxx)
            && !args
                .iter()
                .any(|a| matches!(a.as_str(), "-c" | "-S" | "-E"))
            && has_input(args))
}

/// Option arguments that take the next argument as their value.
const TAKES_VALUE: &[&str] = &[
    "-o",
    "-x",
    "-I",
    "-D",
    "-U",
    "-L",
    "-include",
    "-isystem",
    "-idirafter",
    "-iquote",
    "-MF",
    "-MT",
    "-MQ",
    "-target",
    "-arch",
    "-Xlinker",
    "-framework",
    "-F",
    "-isysroot",
];

/// Whether the call names something to compile or link: cc-rs's and CMake's probes
/// (`--version`, `-?`, `-dumpmachine`) name nothing, and zig given a linker flag then
/// writes an empty `a.o` into the build script's directory.
fn has_input(args: &[String]) -> bool {
    let mut skip = false;
    args.iter().any(|a| {
        if std::mem::take(&mut skip) {
            return false;
        }
        if TAKES_VALUE.contains(&a.as_str()) {
            skip = true;
            return false;
        }
        !a.starts_with('-') || (a.starts_with("-l") && a.len() > 2)
    })
}

impl Rule {
    /// Whether this rule's appended/prepended arguments belong in this call.
    fn adds_to(&self, args: &[String], role: Role) -> bool {
        (!self.only_when_linking || links(args, role))
            && (self.when_any.is_empty() || args.iter().any(|a| self.when_any.contains(a)))
            && !args.iter().any(|a| {
                self.unless_prefix_any
                    .iter()
                    .any(|p| a.starts_with(p.as_str()))
            })
    }
}

/// `{output_file_name}` in an added argument: the file name of `-o`'s value.
fn fill_output(template: &str, args: &[String]) -> Option<String> {
    if !template.contains("{output_file_name}") {
        return Some(template.to_string());
    }
    let out = args
        .iter()
        .position(|a| a == "-o")
        .and_then(|i| args.get(i + 1))?;
    let name = out.rsplit('/').next().unwrap_or(out);
    Some(template.replace("{output_file_name}", name))
}

/// What one rule did to one argument, for NIXCROSS_VERBOSE and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fired {
    pub rule: String,
    pub why: String,
    pub from: Vec<String>,
    pub to: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Rewritten {
    pub args: Vec<String>,
    pub fired: Vec<Fired>,
}

/// Applies `rules` for `role` to `args` with no environment (see `rewrite_env`).
#[cfg(test)]
pub fn rewrite(args: &[String], rules: &[&Rule], role: Role) -> Rewritten {
    rewrite_env(args, rules, role, &|_| None)
}

/// Applies `rules` for `role` to `args`: the first rule whose matcher fits an argument
/// acts on it; then duplicate libraries are removed and appended arguments added,
/// including those `append_env` derives from the environment.
pub fn rewrite_env(
    args: &[String],
    rules: &[&Rule],
    role: Role,
    env: &dyn Fn(&str) -> Option<String>,
) -> Rewritten {
    let rules: Vec<&Rule> = rules
        .iter()
        .copied()
        .filter(|r| r.roles.contains(&role))
        .collect();
    let normalized;
    let args = if matches!(role, Role::Linker | Role::Cc | Role::Cxx) {
        normalized = normalize(args);
        &normalized[..]
    } else {
        args
    };
    let mut out = Rewritten::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        // The value of -o is an output path, never a flag or an input to rewrite.
        if i > 0 && args[i - 1] == "-o" {
            out.args.push(arg.clone());
            i += 1;
            continue;
        }
        let hit = rules.iter().find_map(|r| match (&r.matcher, &r.action) {
            (Some(m), Some(a)) if m.matches(arg) => Some((r, a)),
            _ => None,
        });
        let Some((rule, action)) = hit else {
            out.args.push(arg.clone());
            i += 1;
            continue;
        };
        let (consumed, produced) = match action {
            Action::Keyword(Keyword::Drop) => (1, vec![]),
            Action::Replace { replace } => (1, replace.clone()),
            Action::DropWithValue { .. } => (2.min(args.len() - i), vec![]),
            Action::JoinValue { join_value } => match args.get(i + 1) {
                Some(v) => (2, vec![join_value.replace("{value}", v)]),
                None => (1, vec![arg.clone()]),
            },
            Action::RewriteCpu { rewrite_cpu } => (1, vec![rewrite_cpu_flag(arg, rewrite_cpu)]),
        };
        let from = args[i..i + consumed].to_vec();
        if from != produced {
            out.fired.push(Fired {
                rule: rule.id.clone(),
                why: rule.why.clone(),
                from,
                to: produced.clone(),
            });
        }
        out.args.extend(produced);
        i += consumed;
    }
    if rules.iter().any(|r| r.dedupe_libs) {
        let mut seen = HashSet::new();
        let before = out.args.len();
        let mut removed = vec![];
        out.args.retain(|a| {
            if a.starts_with("-l") && a.len() > 2 && !seen.insert(a.clone()) {
                removed.push(a.clone());
                return false;
            }
            true
        });
        if out.args.len() != before {
            let rule = rules.iter().find(|r| r.dedupe_libs).expect("checked above");
            out.fired.push(Fired {
                rule: rule.id.clone(),
                why: rule.why.clone(),
                from: removed,
                to: vec![],
            });
        }
    }
    let mut front = Vec::new();
    let adding: Vec<&Rule> = rules
        .iter()
        .copied()
        .filter(|r| r.adds_to(&out.args, role))
        .collect();
    for rule in &adding {
        for extra in &rule.prepend {
            if !out.args.contains(extra) && !front.contains(extra) {
                front.push(extra.clone());
                out.fired.push(Fired {
                    rule: rule.id.clone(),
                    why: rule.why.clone(),
                    from: vec![],
                    to: vec![extra.clone()],
                });
            }
        }
    }
    if !front.is_empty() {
        out.args.splice(0..0, front);
    }
    for rule in &adding {
        let from_env = rule
            .append_env
            .iter()
            .filter_map(|(var, template)| {
                env(var)
                    .filter(|v| !v.is_empty())
                    .map(|v| template.replace("{}", &v))
            })
            .chain(rule.append_env_each.iter().flat_map(|(var, template)| {
                env(var)
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(|v| template.replace("{}", v))
                    .collect::<Vec<_>>()
            }));
        let appended: Vec<String> = rule
            .append
            .iter()
            .filter_map(|a| fill_output(a, &out.args))
            .collect();
        for extra in appended.into_iter().chain(from_env) {
            if !out.args.contains(&extra) {
                out.args.push(extra.clone());
                out.fired.push(Fired {
                    rule: rule.id.clone(),
                    why: rule.why.clone(),
                    from: vec![],
                    to: vec![extra],
                });
            }
        }
    }
    out
}

/// The spellings of one linker argument that rules match in one form: `-Wl,-a,-b`
/// becomes `-Wl,-a -Wl,-b` (zig hands each piece to its linker in order either way; a
/// piece that is not a flag stays with the flag before it, `-Wl,-rpath,/x`),
/// `-Xlinker X` becomes `-Wl,X` and `-l name` becomes `-lname`.
fn normalize(args: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let next = args.get(i + 1);
        if i > 0 && args[i - 1] == "-o" {
            out.push(a.clone());
        } else if let Some(list) = a.strip_prefix("-Wl,").filter(|l| l.contains(',')) {
            let mut groups: Vec<String> = Vec::new();
            for piece in list.split(',') {
                match groups.last_mut() {
                    Some(g) if !piece.starts_with('-') => {
                        g.push(',');
                        g.push_str(piece);
                    }
                    _ => groups.push(format!("-Wl,{piece}")),
                }
            }
            out.extend(groups);
        } else if a == "-Xlinker" && next.is_some_and(|n| !n.contains(',')) {
            out.push(format!("-Wl,{}", next.unwrap()));
            i += 1;
        } else if a == "-l" && next.is_some() {
            out.push(format!("-l{}", next.unwrap()));
            i += 1;
        } else {
            out.push(a.clone());
        }
        i += 1;
    }
    out
}

/// `-march=armv8.2-a+fp16` -> `-march=generic+v8_2a+fullfp16`; `-march=x86-64-v3` ->
/// `-march=x86_64_v3`; `-mcpu=apple-m1` -> `-mcpu=apple_m1`.
fn rewrite_cpu_flag(arg: &str, spec: &CpuRewrite) -> String {
    let (flag, value) = arg.split_once('=').expect("matched -march= or -mcpu=");
    if value == "native" {
        return arg.to_string();
    }
    let mut parts = value.split('+');
    let cpu = parts.next().unwrap_or("");
    let mut names = Vec::new();
    match arm_isa_level(cpu) {
        Some(level) => {
            names.push("generic".to_string());
            names.push(level);
        }
        None => names.push(cpu.replace(['-', '.'], "_")),
    }
    let mut text = names.join("+");
    for feature in parts {
        // clang's +noX turns X off; zig spells that -X.
        let (sign, feature) = match feature.strip_prefix("no") {
            Some(rest) if !rest.is_empty() => ('-', rest),
            _ => ('+', feature),
        };
        let f = spec
            .feature_aliases
            .get(feature)
            .map(String::as_str)
            .unwrap_or(feature);
        text.push(sign);
        text.push_str(&f.replace(['-', '.'], "_"));
    }
    format!("{flag}={text}")
}

/// `armv8-a` -> `v8a`, `armv8.2-a` -> `v8_2a`, `armv9.4-a` -> `v9_4a`.
fn arm_isa_level(cpu: &str) -> Option<String> {
    let version = cpu.strip_prefix("armv")?.strip_suffix("-a")?;
    let (major, minor) = match version.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (version, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !minor.is_none_or(digits) {
        return None;
    }
    Some(match minor {
        Some(m) => format!("v{major}_{m}a"),
        None => format!("v{major}a"),
    })
}

#[cfg(test)]
mod tests {
    //! One test per rule in targets.json, named after the behaviour it exists for.
    use super::*;
    use crate::hot::table::Table;

    fn run(target: &str, role: Role, args: &[&str]) -> Rewritten {
        let table = Table::load();
        let t = table.target(target).unwrap();
        let rules = table.rules_for(t);
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        rewrite(&args, &rules, role)
    }

    fn args(target: &str, role: Role, input: &[&str]) -> Vec<String> {
        run(target, role, input).args
    }

    fn fired(target: &str, role: Role, input: &[&str]) -> Vec<String> {
        run(target, role, input)
            .fired
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    const WIN: &str = "x86_64-pc-windows-gnu";
    const WIN_ARM: &str = "aarch64-pc-windows-gnullvm";
    const MUSL: &str = "x86_64-unknown-linux-musl";
    const MAC: &str = "aarch64-apple-darwin";

    #[test]
    fn cc_rs_rust_triple_target_flag_is_dropped_zig_cannot_parse_it() {
        for t in [
            WIN,
            WIN_ARM,
            MUSL,
            MAC,
            "aarch64-unknown-linux-musl",
            "x86_64-apple-darwin",
        ] {
            let out = args(
                t,
                Role::Cc,
                &["--target=x86_64-pc-windows-gnu", "-c", "a.c"],
            );
            assert!(
                !out.iter().any(|a| a.starts_with("--target=")),
                "{t}: {out:?}"
            );
        }
    }

    #[test]
    fn wl_o1_is_dropped_because_zig_warns_about_it() {
        let out = args(MUSL, Role::Linker, &["-Wl,-O1", "main.o"]);
        assert!(!out.contains(&"-Wl,-O1".to_string()), "{out:?}");
        assert!(out.contains(&"main.o".to_string()));
    }

    #[test]
    fn cpu_names_are_spelled_the_zig_way() {
        assert_eq!(
            args(MUSL, Role::Cc, &["-march=x86-64-v3"])[0],
            "-march=x86_64_v3"
        );
        assert_eq!(args(MUSL, Role::Cc, &["-march=x86-64"])[0], "-march=x86_64");
        assert_eq!(args(MUSL, Role::Cc, &["-march=native"])[0], "-march=native");
        let a = "aarch64-unknown-linux-musl";
        assert_eq!(
            args(a, Role::Cc, &["-march=armv8-a"])[0],
            "-march=generic+v8a"
        );
        assert_eq!(
            args(a, Role::Cc, &["-march=armv8.2-a+fp16"])[0],
            "-march=generic+v8_2a+fullfp16"
        );
        assert_eq!(
            args(a, Role::Cc, &["-mcpu=cortex-a72+crypto"])[0],
            "-mcpu=cortex_a72+crypto"
        );
        assert_eq!(
            args(MAC, Role::Cc, &["-mcpu=apple-m1"])[0],
            "-mcpu=apple_m1"
        );
    }

    #[test]
    fn date_time_macros_compile_and_take_source_date_epoch() {
        // zig cc fails optimised compiles that expand __DATE__/__TIME__ (-Werror,
        // -Wdate-time); clang reads SOURCE_DATE_EPOCH for them, and zig's cache does
        // not, so the value is also part of the command line.
        let table = Table::load();
        for name in [WIN, WIN_ARM, MUSL, MAC] {
            let rules = table.rules_for(table.target(name).unwrap());
            let input = vec!["-O2".to_string(), "-c".into(), "stamp.c".into()];
            let out = rewrite_env(&input, &rules, Role::Cc, &|_| None).args;
            assert!(out.contains(&"-Wno-date-time".into()), "{name}: {out:?}");
            assert!(!out
                .iter()
                .any(|a| a.starts_with("-DNIXCROSS_SOURCE_DATE_EPOCH")));
            let epoch = |k: &str| (k == "SOURCE_DATE_EPOCH").then(|| "315532800".to_string());
            let out = rewrite_env(&input, &rules, Role::Cxx, &epoch).args;
            assert!(
                out.contains(&"-DNIXCROSS_SOURCE_DATE_EPOCH=315532800".into()),
                "{out:?}"
            );
            let link = rewrite_env(&["a.o".into()], &rules, Role::Linker, &epoch).args;
            assert!(
                !link.iter().any(|a| a.contains("date")),
                "not at link time: {link:?}"
            );
        }
        // An empty SOURCE_DATE_EPOCH is unset (clang would reject it).
        let rules = table.rules_for(table.target(MUSL).unwrap());
        let empty = |_: &str| Some(String::new());
        let out = rewrite_env(&["-c".into()], &rules, Role::Cc, &empty).args;
        assert!(!out.iter().any(|a| a.starts_with("-DNIXCROSS")), "{out:?}");
    }

    #[test]
    fn clangs_negative_cpu_features_are_spelled_with_a_minus_for_zig() {
        let a = "aarch64-unknown-linux-musl";
        assert_eq!(
            args(a, Role::Cc, &["-march=armv8-a+nocrypto"])[0],
            "-march=generic+v8a-crypto"
        );
        assert_eq!(
            args(a, Role::Cc, &["-march=armv8.2-a+fp16+nofp16"])[0],
            "-march=generic+v8_2a+fullfp16-fullfp16"
        );
    }

    #[test]
    fn combined_wl_lists_and_separate_forms_meet_the_same_rules() {
        // -Wl,-O1,--as-needed hides -Wl,-O1; -l msvcrt and -Xlinker X hide their flags.
        let out = args(
            WIN,
            Role::Linker,
            &[
                "-Wl,-O1,--as-needed",
                "-l",
                "msvcrt",
                "-Xlinker",
                "--dynamicbase",
                "a.o",
            ],
        );
        assert_eq!(out[..2], ["-Wl,--as-needed", "a.o"], "{out:?}");
        // Values of options keep their -Wl pieces together in order.
        let out = args(MUSL, Role::Linker, &["-Wl,-rpath,/opt/lib,-O1", "a.o"]);
        assert_eq!(out[..2], ["-Wl,-rpath,/opt/lib", "a.o"], "{out:?}");
    }

    #[test]
    fn compile_calls_turn_off_zigs_ubsan_traps() {
        let out = args(WIN, Role::Cc, &["-O0", "-c", "a.c"]);
        assert_eq!(out.last().unwrap(), "-fno-sanitize=undefined");
        // Not added twice when the caller already said it, and never at link time.
        let out = args(WIN, Role::Cc, &["-fno-sanitize=undefined", "-c", "a.c"]);
        assert_eq!(
            out.iter()
                .filter(|a| *a == "-fno-sanitize=undefined")
                .count(),
            1
        );
        assert!(!args(WIN, Role::Linker, &["a.o"]).contains(&"-fno-sanitize=undefined".to_string()));
    }

    #[test]
    fn musl_crt_objects_from_the_self_contained_dir_are_dropped() {
        let sc = "/nix/store/x-rust/lib/rustlib/x86_64-unknown-linux-musl/lib/self-contained";
        let input: Vec<String> = [
            "crt1.o",
            "crti.o",
            "crtbegin.o",
            "crtend.o",
            "crtn.o",
            "rcrt1.o",
            "crtbeginS.o",
            "crtendS.o",
            "Scrt1.o",
        ]
        .iter()
        .map(|f| format!("{sc}/{f}"))
        .collect();
        let mut all: Vec<&str> = input.iter().map(String::as_str).collect();
        all.push("main.o");
        assert_eq!(args(MUSL, Role::Linker, &all)[0], "main.o");
    }

    #[test]
    fn musl_crt_objects_given_by_bare_name_are_dropped() {
        // rustc passes bare names when the sysroot has no self-contained dir.
        let out = args(
            MUSL,
            Role::Linker,
            &[
                "rcrt1.o",
                "crti.o",
                "crtbeginS.o",
                "main.o",
                "crtendS.o",
                "crtn.o",
            ],
        );
        assert_eq!(out[0], "main.o");
        assert_eq!(out.len(), 2, "{out:?}"); // main.o + -static
    }

    #[test]
    fn user_objects_that_merely_contain_crt_are_kept() {
        let out = args(MUSL, Role::Linker, &["mycrt1.o", "-lcrt1"]);
        assert!(out.contains(&"mycrt1.o".to_string()) && out.contains(&"-lcrt1".to_string()));
        // A user's own crtbegin.o in a subdirectory, and an output named crt1.o, are not
        // rustc's crt objects (before: `-o crt1.o` wrote a file named `-static`).
        let out = args(
            MUSL,
            Role::Linker,
            &["sub/crtbegin.o", "main.o", "-o", "crt1.o"],
        );
        assert_eq!(
            out[..4],
            ["sub/crtbegin.o", "main.o", "-o", "crt1.o"],
            "{out:?}"
        );
    }

    #[test]
    fn musl_nostartfiles_is_dropped_so_zig_adds_its_crt() {
        assert!(fired(MUSL, Role::Linker, &["-nostartfiles"]).contains(&"drop-nostartfiles".into()));
    }

    #[test]
    fn musl_lc_is_dropped_zig_links_its_own_musl() {
        let out = args(MUSL, Role::Linker, &["-lc", "-lunwind"]);
        assert!(!out.contains(&"-lc".to_string()) && out.contains(&"-lunwind".to_string()));
    }

    #[test]
    fn musl_lgcc_s_becomes_lunwind() {
        assert_eq!(args(MUSL, Role::Linker, &["-lgcc_s"])[0], "-lunwind");
    }

    #[test]
    fn musl_lgcc_eh_is_dropped() {
        assert!(!args(MUSL, Role::Linker, &["-lgcc_eh"]).contains(&"-lgcc_eh".to_string()));
    }

    #[test]
    fn windows_links_ask_zig_for_lld_brepro_so_the_pe_timestamp_is_not_the_clock() {
        for t in [WIN, WIN_ARM] {
            assert!(args(t, Role::Linker, &["main.o"]).contains(&"-Wl,-Brepro".to_string()));
            assert!(!args(t, Role::Cc, &["-c", "a.c"]).contains(&"-Wl,-Brepro".to_string()));
        }
        assert!(!args(MUSL, Role::Linker, &["main.o"]).contains(&"-Wl,-Brepro".to_string()));
    }

    #[test]
    fn darwin_links_leave_out_stabs_so_lc_uuid_does_not_hash_the_zig_cache_path() {
        for t in [MAC, "x86_64-apple-darwin"] {
            assert!(args(t, Role::Linker, &["main.o"]).contains(&"-Wl,-S".to_string()));
            assert!(!args(t, Role::Cc, &["-c", "a.c"]).contains(&"-Wl,-S".to_string()));
        }
        assert!(!args(WIN, Role::Linker, &["main.o"]).contains(&"-Wl,-S".to_string()));
    }

    #[test]
    fn musl_links_are_forced_static() {
        assert!(args(MUSL, Role::Linker, &["main.o"]).contains(&"-static".to_string()));
        assert!(!args(MUSL, Role::Cc, &["-c", "a.c"]).contains(&"-static".to_string()));
    }

    #[test]
    fn windows_mingw_gcc_runtime_libs_are_dropped() {
        let input = [
            "-lmsvcrt",
            "-lgcc",
            "-lwindows",
            "-lmingw32",
            "-lmingwex",
            "-lkernel32",
        ];
        for t in [WIN, WIN_ARM] {
            assert_eq!(
                args(t, Role::Linker, &input),
                ["-lkernel32", "-Wl,-Brepro"],
                "{t}"
            );
        }
    }

    #[test]
    fn windows_libgcc_unwinder_becomes_zigs_libunwind() {
        for t in [WIN, WIN_ARM] {
            assert_eq!(
                args(t, Role::Linker, &["-lgcc_eh", "-lgcc_s"]),
                ["-lunwind", "-lunwind", "-Wl,-Brepro"],
                "{t}"
            );
        }
    }

    #[test]
    fn windows_exact_file_pthread_becomes_lpthread() {
        assert_eq!(
            args(WIN, Role::Linker, &["-l:libpthread.a"]),
            ["-lpthread", "-Wl,-Brepro"]
        );
    }

    #[test]
    fn windows_ssp_libs_are_dropped_zig_017_cannot_find_them() {
        assert_eq!(
            args(WIN, Role::Linker, &["-lssp_nonshared", "-lssp"]),
            ["-Wl,-Brepro"]
        );
    }

    #[test]
    fn windows_gnu_ld_only_pe_flags_are_dropped() {
        let input = [
            "-Wl,--disable-auto-image-base",
            "-Wl,--dynamicbase",
            "-Wl,--large-address-aware",
            "-Wl,--enable-auto-image-base",
            "-Wl,--nxcompat",
        ];
        assert_eq!(
            args(WIN, Role::Linker, &input),
            ["-Wl,--nxcompat", "-Wl,-Brepro"]
        );
    }

    #[test]
    fn windows_cdylib_def_file_is_dropped() {
        let out = args(
            WIN,
            Role::Linker,
            &["-Wl,/tmp/rustcX/lib.def", "-Wl,--gc-sections"],
        );
        assert_eq!(out, ["-Wl,--gc-sections", "-Wl,-Brepro"]);
        // A .def that is an option's value is the user's: --output-def writes one.
        let out = args(
            WIN,
            Role::Linker,
            &["-Wl,--output-def,x.def", "-Wl,--version-script=v.def"],
        );
        assert_eq!(
            out[..2],
            ["-Wl,--output-def,x.def", "-Wl,--version-script=v.def"],
            "{out:?}"
        );
    }

    #[test]
    fn windows_bdynamic_falls_back_to_import_libs() {
        // rustc: -Wl,-Bdynamic -lwinapi_advapi32; zig -Bdynamic on COFF looks for
        // winapi_advapi32.dll only, the import lib is libwinapi_advapi32.a.
        for t in [WIN, WIN_ARM] {
            let out = args(
                t,
                Role::Linker,
                &[
                    "-Wl,-Bstatic",
                    "-lunwind",
                    "-Wl,-Bdynamic",
                    "-lwinapi_advapi32",
                ],
            );
            assert_eq!(
                out,
                [
                    "-Wl,-Bstatic",
                    "-lunwind",
                    "-Wl,-search_paths_first",
                    "-lwinapi_advapi32",
                    "-Wl,-Brepro"
                ],
                "{t}"
            );
        }
        // ELF keeps GNU ld semantics: zig handles -Bdynamic there as ld does.
        assert_eq!(
            args(MUSL, Role::Linker, &["-Wl,-Bdynamic"])[0],
            "-Wl,-Bdynamic"
        );
    }

    #[test]
    fn gnullvm_nolibc_is_dropped_so_zig_links_its_mingw_crt() {
        // aarch64-pc-windows-gnullvm: rustc passes -nolibc plus the mingw libs; with the
        // libs dropped, keeping -nolibc leaves sincos (LLVM's sin+cos fusion) undefined.
        let out = args(
            WIN_ARM,
            Role::Linker,
            &["-nolibc", "--unwindlib=none", "a.o", "-lmingwex"],
        );
        assert_eq!(out, ["--unwindlib=none", "a.o", "-Wl,-Brepro"]);
    }

    #[test]
    fn windows_lsynchronization_maps_to_the_api_set_import_lib() {
        assert_eq!(
            args(WIN, Role::Linker, &["-lsynchronization"]),
            ["-lapi-ms-win-core-synch-l1-2-0", "-Wl,-Brepro"]
        );
    }

    #[test]
    fn rustc_dlltool_gnu_flags_are_dropped_with_their_values() {
        let input = [
            "-d",
            "x.def",
            "-D",
            "x.dll",
            "-l",
            "x.lib",
            "-m",
            "i386:x86-64",
            "-f",
            "--64",
            "--no-leading-underscore",
            "--temp-prefix",
            "x.dll",
        ];
        let out = args(WIN, Role::Dlltool, &input);
        assert_eq!(
            out,
            [
                "-d",
                "x.def",
                "-D",
                "x.dll",
                "-l",
                "x.lib",
                "-m",
                "i386:x86-64",
                "--no-leading-underscore"
            ]
        );
    }

    #[test]
    fn darwin_arch_flag_and_its_value_are_dropped() {
        assert_eq!(
            args(MAC, Role::Cc, &["-arch", "arm64", "-c", "a.c"])[..2],
            ["-c", "a.c"]
        );
    }

    #[test]
    fn darwin_undefined_dynamic_lookup_is_passed_as_a_linker_flag() {
        assert_eq!(
            args(MAC, Role::Linker, &["-undefined", "dynamic_lookup"]),
            ["-Wl,-undefined,dynamic_lookup", "-Wl,-S"]
        );
    }

    #[test]
    fn darwin_duplicate_libs_are_removed_so_dyld_does_not_refuse_the_binary() {
        let out = args(
            MAC,
            Role::Linker,
            &["-lSystem", "a.o", "-lc", "-lSystem", "-liconv", "-lc"],
        );
        assert_eq!(out, ["-lSystem", "a.o", "-lc", "-liconv", "-Wl,-S"]);
        // Only the darwin rules dedupe: on ELF, order and repetition of archives matter.
        assert_eq!(
            args(MUSL, Role::Linker, &["-lfoo", "-lbar", "-lfoo"])[..3],
            ["-lfoo", "-lbar", "-lfoo"]
        );
    }

    fn prefix_mapped(target: &str, map: &str) -> Rewritten {
        let table = Table::load();
        let t = table.target(target).unwrap();
        let rules = table.rules_for(t);
        let env = |k: &str| (k == "NIXCROSS_PREFIX_MAP").then(|| map.to_string());
        rewrite_env(
            &["-c".to_string(), "a.c".to_string()],
            &rules,
            Role::Cc,
            &env,
        )
    }

    #[test]
    fn c_code_gets_the_same_path_maps_as_rustc_so_file_names_no_build_machine_path() {
        // aws-lc's and OpenSSL's error macros expand __FILE__ to the crate's path in
        // cargo's registry (or Nix's vendor dir); rustc's --remap-path-prefix misses it.
        for t in [MUSL, WIN, MAC, "aarch64-linux-android"] {
            let out =
                prefix_mapped(t, "/home/u/.cargo=/cargo  /nix/store/x-vendor=/nix-sources").args;
            let maps: Vec<&String> = out
                .iter()
                .filter(|a| a.starts_with("-ffile-prefix-map="))
                .collect();
            assert_eq!(
                maps,
                [
                    "-ffile-prefix-map=/home/u/.cargo=/cargo",
                    "-ffile-prefix-map=/nix/store/x-vendor=/nix-sources"
                ],
                "{t}: {out:?}"
            );
        }
        assert!(!prefix_mapped(MUSL, "")
            .args
            .iter()
            .any(|a| a.contains("prefix-map")));
    }

    #[test]
    fn a_macos_dylib_gets_an_rpath_install_name_not_the_build_path() {
        // rustc passes no -install_name for a cdylib; the linker would record the
        // absolute output path (a build-machine path) as the dylib's name.
        let out = args(
            MAC,
            Role::Linker,
            &["-dynamiclib", "a.o", "-o", "/t/release/deps/libfoo.dylib"],
        );
        assert!(
            out.contains(&"-Wl,-install_name,@rpath/libfoo.dylib".to_string()),
            "{out:?}"
        );
        // The caller's own install name wins; a program gets none; a C link of a dylib
        // through cc gets one too.
        for own in [
            &["-install_name", "@loader_path/libfoo.dylib"][..],
            &["-Wl,-install_name,/usr/local/lib/libfoo.dylib"],
        ] {
            let mut input = vec!["-dynamiclib", "a.o", "-o", "libfoo.dylib"];
            input.extend_from_slice(own);
            assert!(
                !args(MAC, Role::Linker, &input)
                    .iter()
                    .any(|a| a.contains("@rpath/libfoo")),
                "{own:?}"
            );
        }
        assert!(!args(MAC, Role::Linker, &["a.o", "-o", "prog"])
            .iter()
            .any(|a| a.contains("install_name")));
        assert!(
            args(MAC, Role::Cc, &["-shared", "a.c", "-o", "libbar.dylib"])
                .contains(&"-Wl,-install_name,@rpath/libbar.dylib".to_string())
        );
        assert!(!args(MAC, Role::Cc, &["-shared", "-c", "a.c"])
            .iter()
            .any(|a| a.contains("install_name")));
    }

    #[test]
    fn c_programs_linked_through_cc_get_the_link_fixes_rustcs_links_get_and_compiles_do_not() {
        // -Wl,-S (macOS stabs) and -Wl,-Brepro (PE time stamp) on a cc link, not on -c
        // (clang would warn about an unused linker flag).
        assert!(args(MAC, Role::Cc, &["main.c", "-o", "main"]).contains(&"-Wl,-S".to_string()));
        assert!(!args(MAC, Role::Cc, &["-c", "main.c"]).contains(&"-Wl,-S".to_string()));
        assert!(!args(MAC, Role::Cxx, &["-E", "main.cc"]).contains(&"-Wl,-S".to_string()));
        assert!(
            args(WIN, Role::Cc, &["main.c", "-o", "main.exe"]).contains(&"-Wl,-Brepro".to_string())
        );
        assert!(!args(WIN, Role::Cc, &["-S", "main.c"]).contains(&"-Wl,-Brepro".to_string()));
        // A C program linking a windows-gnu Rust staticlib needs the unwinder rustc's
        // --print native-static-libs leaves out.
        for t in [WIN, WIN_ARM] {
            let out = args(
                t,
                Role::Cc,
                &["host.c", "libfoo.a", "-lkernel32", "-o", "host.exe"],
            );
            assert_eq!(
                out.iter().filter(|a| *a == "-lunwind").count(),
                1,
                "{t}: {out:?}"
            );
            assert!(!args(t, Role::Cc, &["-c", "host.c"]).contains(&"-lunwind".to_string()));
        }
        assert!(links(&["main.o".into(), "-o".into(), "x".into()], Role::Cc));
        assert!(links(&["-c".into()], Role::Linker));
        assert!(!links(&["-c".into()], Role::Ar));
        // Probes name nothing to link: zig would write an empty a.o into the build
        // script's directory if they got a linker flag.
        for probe in [
            &["--version"][..],
            &["-?"],
            &["-dumpmachine"],
            &["-o", "x"],
            &["-x", "c", "-v"],
        ] {
            let probe: Vec<String> = probe.iter().map(|s| s.to_string()).collect();
            assert!(!links(&probe, Role::Cc), "{probe:?}");
        }
        assert!(!args(MAC, Role::Cc, &["--version"]).contains(&"-Wl,-S".to_string()));
        assert!(!args(WIN, Role::Cc, &["-?"]).contains(&"-lunwind".to_string()));
    }

    #[test]
    fn windows_objects_carry_no_codeview_command_line_unless_asked_for_debug_info() {
        // zig cc writes CodeView (with the compiler's command line: zig's path, the build
        // directory) into Windows objects even without -g; a staticlib would ship them.
        for t in [WIN, WIN_ARM] {
            for role in [Role::Cc, Role::Cxx] {
                let out = args(t, role, &["-O2", "-c", "a.c"]);
                assert_eq!(out[0], "-g0", "{t}: {out:?}");
                // The caller's -g comes later and wins, as in clang.
                let debug = args(t, role, &["-g", "-c", "a.c"]);
                assert_eq!(&debug[..2], ["-g0", "-g"], "{t}: {debug:?}");
                assert_eq!(out.iter().filter(|a| *a == "-g0").count(), 1);
            }
        }
        // ELF and Mach-O objects record no command line by default: nothing added there.
        for t in [MUSL, MAC] {
            assert!(
                !args(t, Role::Cc, &["-c", "a.c"]).contains(&"-g0".to_string()),
                "{t}"
            );
        }
        // Nor to the linker (rustc's objects are already compiled).
        assert!(!args(WIN, Role::Linker, &["a.o"]).contains(&"-g0".to_string()));
    }

    #[test]
    fn android_args_pass_through_untouched() {
        let input = ["--target=aarch64-linux-android21", "-lc", "-Wl,-O1", "a.o"];
        assert_eq!(args("aarch64-linux-android", Role::Linker, &input), input);
    }

    #[test]
    fn every_rule_in_the_table_has_a_test_that_fires_it() {
        // Guards the promise "a unit test per rule": a new rule must come with a test
        // above that makes it fire; this list is what those tests exercise.
        let covered = [
            (MUSL, Role::Cc, vec!["--target=x"]),
            (MUSL, Role::Linker, vec!["-Wl,-O1"]),
            (MUSL, Role::Cc, vec!["-march=x86-64-v3"]),
            (MUSL, Role::Cc, vec!["-c"]),
            (
                MUSL,
                Role::Linker,
                vec!["crt1.o", "-nostartfiles", "-lc", "-lgcc_s", "-lgcc_eh"],
            ),
            (
                WIN,
                Role::Linker,
                vec![
                    "-lmsvcrt",
                    "-lgcc_eh",
                    "-l:libpthread.a",
                    "-lssp",
                    "-Wl,--dynamicbase",
                    "-Wl,x.def",
                    "-lsynchronization",
                    "-Wl,-Bdynamic",
                    "-nolibc",
                ],
            ),
            (WIN, Role::Dlltool, vec!["-f", "--64"]),
            (WIN, Role::Cc, vec!["-c", "a.c"]),
            (WIN, Role::Cc, vec!["main.o", "libfoo.a", "-o", "main.exe"]),
            (
                MAC,
                Role::Linker,
                vec!["-dynamiclib", "a.o", "-o", "/t/deps/libfoo.dylib"],
            ),
            (
                MAC,
                Role::Linker,
                vec![
                    "-arch",
                    "arm64",
                    "-undefined",
                    "dynamic_lookup",
                    "-lc",
                    "-lc",
                ],
            ),
        ];
        let mut ids: HashSet<String> = HashSet::new();
        for (t, role, input) in covered {
            ids.extend(fired(t, role, &input));
        }
        // Rules that act only when a variable is set.
        ids.extend(
            prefix_mapped(MUSL, "/c=/cargo")
                .fired
                .into_iter()
                .map(|f| f.rule),
        );
        let table = Table::load();
        for rule in table.rule_sets.values().flatten() {
            assert!(
                ids.contains(&rule.id),
                "rule {} is never exercised",
                rule.id
            );
        }
    }
}
