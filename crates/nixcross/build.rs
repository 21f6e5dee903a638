//! Turns targets.json (the one table the Nix layer reads too) into Rust code that builds
//! the same `Table` without parsing JSON: the wrapper runs once per compile and link, and
//! parsing the table was 40% of its instructions. A unit test (table.rs) checks that the
//! generated table equals the one serde parses from the JSON, field by field.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Map, Value};

fn main() {
    let json_path = Path::new("targets.json");
    println!("cargo:rerun-if-changed=targets.json");
    let text = std::fs::read_to_string(json_path).expect("reading targets.json");
    let table: Value = serde_json::from_str(&text).expect("targets.json is valid JSON");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("table_generated.rs");
    std::fs::write(&out, table_code(&table)).expect("writing the generated table");
}

fn obj(v: &Value) -> &Map<String, Value> {
    v.as_object().expect("an object")
}

fn s(v: &str) -> String {
    format!("String::from({v:?})")
}

fn string(v: &Value) -> String {
    s(v.as_str().expect("a string"))
}

fn strings(v: Option<&Value>) -> String {
    match v {
        None => "Vec::new()".into(),
        Some(v) => {
            let items: Vec<String> = v.as_array().expect("an array").iter().map(string).collect();
            format!("vec![{}]", items.join(", "))
        }
    }
}

fn opt_string(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "None".into(),
        Some(v) => format!("Some({})", string(v)),
    }
}

fn map<F: Fn(&Value) -> String>(v: Option<&Value>, value: F) -> String {
    match v {
        None => "BTreeMap::new()".into(),
        Some(v) => {
            let items: Vec<String> = obj(v)
                .iter()
                .map(|(k, x)| format!("({}, {})", s(k), value(x)))
                .collect();
            format!("BTreeMap::from([{}])", items.join(", "))
        }
    }
}

fn role(v: &Value) -> String {
    let r = match v.as_str().expect("a role") {
        "cc" => "Cc",
        "c++" => "Cxx",
        "linker" => "Linker",
        "ar" => "Ar",
        "ranlib" => "Ranlib",
        "dlltool" => "Dlltool",
        "pkg-config" => "PkgConfig",
        other => panic!("targets.json: unknown role {other}"),
    };
    format!("Role::{r}")
}

fn matcher(v: &Value) -> String {
    let m = obj(v);
    let known = [
        "exact",
        "exact_any",
        "prefix",
        "prefix_any",
        "suffix",
        "file_name_in",
        "bare_or_path_containing",
        "not_prefix_any",
    ];
    for k in m.keys() {
        assert!(
            known.contains(&k.as_str()),
            "targets.json: unknown match field {k}"
        );
    }
    format!(
        "Matcher {{ exact: {}, exact_any: {}, prefix: {}, prefix_any: {}, suffix: {}, file_name_in: {}, bare_or_path_containing: {}, not_prefix_any: {} }}",
        opt_string(m.get("exact")),
        strings(m.get("exact_any")),
        opt_string(m.get("prefix")),
        strings(m.get("prefix_any")),
        opt_string(m.get("suffix")),
        strings(m.get("file_name_in")),
        strings(m.get("bare_or_path_containing")),
        strings(m.get("not_prefix_any")),
    )
}

fn action(v: &Value) -> String {
    if v.as_str() == Some("drop") {
        return "Action::Keyword(Keyword::Drop)".into();
    }
    let a = obj(v);
    if let Some(r) = a.get("replace") {
        return format!("Action::Replace {{ replace: {} }}", strings(Some(r)));
    }
    if let Some(d) = a.get("drop_with_value") {
        return format!(
            "Action::DropWithValue {{ drop_with_value: {} }}",
            d.as_bool().expect("a bool")
        );
    }
    if let Some(j) = a.get("join_value") {
        return format!("Action::JoinValue {{ join_value: {} }}", string(j));
    }
    if let Some(c) = a.get("rewrite_cpu") {
        return format!(
            "Action::RewriteCpu {{ rewrite_cpu: CpuRewrite {{ feature_aliases: {} }} }}",
            map(obj(c).get("feature_aliases"), string)
        );
    }
    panic!("targets.json: unknown action {v}");
}

fn rule(v: &Value) -> String {
    let r = obj(v);
    let known = [
        "id",
        "why",
        "roles",
        "match",
        "action",
        "append",
        "prepend",
        "append_env",
        "append_env_each",
        "dedupe_libs",
        "only_when_linking",
        "when_any",
        "unless_prefix_any",
    ];
    for k in r.keys() {
        assert!(
            known.contains(&k.as_str()),
            "targets.json: unknown rule field {k}"
        );
    }
    let roles: Vec<String> = r["roles"].as_array().unwrap().iter().map(role).collect();
    format!(
        "Rule {{ id: {}, why: {}, roles: vec![{}], matcher: {}, action: {}, append: {}, prepend: {}, append_env: {}, append_env_each: {}, dedupe_libs: {}, only_when_linking: {}, when_any: {}, unless_prefix_any: {} }}",
        string(&r["id"]),
        string(&r["why"]),
        roles.join(", "),
        r.get("match").map_or("None".into(), |m| format!("Some({})", matcher(m))),
        r.get("action").map_or("None".into(), |a| format!("Some({})", action(a))),
        strings(r.get("append")),
        strings(r.get("prepend")),
        map(r.get("append_env"), string),
        map(r.get("append_env_each"), string),
        r.get("dedupe_libs").and_then(Value::as_bool).unwrap_or(false),
        r.get("only_when_linking").and_then(Value::as_bool).unwrap_or(false),
        strings(r.get("when_any")),
        strings(r.get("unless_prefix_any")),
    )
}

fn linker(v: &Value) -> String {
    match v.as_str().expect("a linker") {
        "zig" => "LinkerKind::Zig".into(),
        "zig-lld" => "LinkerKind::ZigLld".into(),
        "ndk-clang" => "LinkerKind::NdkClang".into(),
        other => panic!("targets.json: unknown linker {other}"),
    }
}

/// `system`: the table's system_libraries for the target's OS, lower-cased (what
/// Table::load_json fills in at run time, done here once).
fn output(v: &Value, system: Option<&Value>) -> String {
    let o = obj(v);
    let system: Vec<String> = system
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|d| s(&d.as_str().unwrap().to_ascii_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "Output {{ format: {}, arch: {}, is_static: {}, code_signature: {}, min_os_version: {}, archive: {}, min_load_alignment: {}, system_libraries: vec![{}] }}",
        string(&o["format"]),
        string(&o["arch"]),
        o["static"].as_bool().expect("static is a bool"),
        opt_string(o.get("code_signature")),
        opt_string(o.get("min_os_version")),
        string(&o["archive"]),
        o.get("min_load_alignment")
            .and_then(Value::as_u64)
            .map_or("None".into(), |a| format!("Some({a})")),
        system.join(", "),
    )
}

fn runner(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "None".into(),
        Some(r) => {
            let r = obj(r);
            format!(
                "Some(Runner {{ programs: {}, nix_package: {} }})",
                strings(r.get("programs")),
                string(&r["nix_package"])
            )
        }
    }
}

fn target(v: &Value, system_libraries: Option<&Value>) -> String {
    let t = obj(v);
    let system = system_libraries.and_then(|m| m.get(t["os"].as_str().unwrap()));
    format!(
        "Target {{ os: {}, linker: {}, zig_target: {}, ndk_triple: {}, android_api: {}, rule_sets: {}, rustflags: {}, link_stubs: {}, zig_libraries: {}, empty_sdkroot: {}, runner: {}, output: {} }}",
        string(&t["os"]),
        linker(&t["linker"]),
        opt_string(t.get("zig_target")),
        opt_string(t.get("ndk_triple")),
        t.get("android_api")
            .and_then(Value::as_u64)
            .map_or("None".into(), |a| format!("Some({a})")),
        strings(t.get("rule_sets")),
        strings(t.get("rustflags")),
        opt_string(t.get("link_stubs")),
        strings(t.get("zig_libraries")),
        opt_string(t.get("empty_sdkroot")),
        runner(t.get("runner")),
        output(&t["output"], system),
    )
}

fn universal(v: &Value) -> String {
    let u = obj(v);
    format!(
        "Universal {{ os: {}, slices: {}, archive: {} }}",
        string(&u["os"]),
        strings(u.get("slices")),
        string(&u["archive"])
    )
}

/// One function per target and per rule set, so a wrapper call builds (and pages in) only
/// its own target's data: `generated_for`. `generated` builds the whole table for the
/// tools people call.
fn table_code(v: &Value) -> String {
    let t = obj(v);
    let targets = obj(&t["targets"]);
    let rule_sets = obj(&t["rule_sets"]);
    let set_fn = |name: &str| {
        let i = rule_sets.keys().position(|k| k == name);
        format!(
            "rule_set_{}",
            i.unwrap_or_else(|| panic!("targets.json: no rule set {name}"))
        )
    };
    let mut out = String::from("// Generated by build.rs from targets.json: do not edit.\n\n");
    let names: Vec<String> = targets.keys().map(|k| format!("{k:?}")).collect();
    writeln!(
        out,
        "/// The target names, sorted (as the table's map).\npub const TARGET_NAMES: &[&str] = &[{}];\n",
        names.join(", ")
    )
    .unwrap();
    for (i, (_, rules)) in rule_sets.iter().enumerate() {
        let rules: Vec<String> = rules.as_array().unwrap().iter().map(rule).collect();
        writeln!(
            out,
            "#[inline(never)]\nfn rule_set_{i}() -> Vec<Rule> {{\n    vec![{}]\n}}\n",
            rules.join(", ")
        )
        .unwrap();
    }
    for (i, (_, x)) in targets.iter().enumerate() {
        writeln!(
            out,
            "#[inline(never)]\nfn target_{i}() -> Target {{\n    {}\n}}\n",
            target(x, t.get("system_libraries"))
        )
        .unwrap();
    }
    writeln!(
        out,
        "fn zig_tools() -> BTreeMap<String, Vec<String>> {{\n    {}\n}}\n",
        map(t.get("zig_tools"), |x| strings(Some(x)))
    )
    .unwrap();
    writeln!(
        out,
        "fn ndk_tools() -> BTreeMap<String, String> {{\n    {}\n}}\n",
        map(t.get("ndk_tools"), string)
    )
    .unwrap();
    // The whole table.
    let all_sets: Vec<String> = rule_sets
        .keys()
        .map(|k| format!("({}, {}())", s(k), set_fn(k)))
        .collect();
    let all_targets: Vec<String> = targets
        .keys()
        .enumerate()
        .map(|(i, k)| format!("({}, target_{i}())", s(k)))
        .collect();
    writeln!(
        out,
        "/// targets.json as Rust (build.rs).\npub fn generated() -> Table {{\n    Table {{ schema_version: SCHEMA_VERSION, zig_tools: zig_tools(), ndk_tools: ndk_tools(), rule_sets: BTreeMap::from([{}]), targets: BTreeMap::from([{}]), system_libraries: {}, universal: {} }}\n}}\n",
        all_sets.join(", "),
        all_targets.join(", "),
        map(t.get("system_libraries"), |x| strings(Some(x))),
        map(t.get("universal"), universal),
    )
    .unwrap();
    // One target with the rule sets it names.
    let mut arms = Vec::new();
    for (i, (name, x)) in targets.iter().enumerate() {
        let sets: Vec<String> = x
            .get("rule_sets")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|n| n.as_str().unwrap()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|n| format!("({}, {}())", s(n), set_fn(n)))
            .collect();
        arms.push(format!(
            "        {name:?} => (target_{i}(), BTreeMap::from([{}])),",
            sets.join(", ")
        ));
    }
    writeln!(
        out,
        "/// The table with only `name`'s target and the rule sets it names (what the wrapper\n/// needs per call); None for a name the table does not have.\npub fn generated_for(name: &str) -> Option<Table> {{\n    let (target, rule_sets) = match name {{\n{}\n        _ => return None,\n    }};\n    Some(Table {{ schema_version: SCHEMA_VERSION, zig_tools: zig_tools(), ndk_tools: ndk_tools(), rule_sets, targets: BTreeMap::from([(name.to_string(), target)]), system_libraries: BTreeMap::new(), universal: BTreeMap::new() }})\n}}",
        arms.join("\n")
    )
    .unwrap();
    out
}
