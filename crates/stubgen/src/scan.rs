//! Walks a crate's module tree the way rustc loads it (`mod x;`, `#[path]`, inline
//! modules, items inside function bodies), for one macOS architecture, and collects the
//! functions and statics declared in `extern` blocks with the library each block links.

use std::collections::{BTreeMap, BTreeSet};

use syn::visit::{self, Visit};
use syn::{Expr, ForeignItem, ImplItem, Item, ItemForeignMod, Lit, Meta, TraitItem};

use crate::cfg::{CfgEnv, Tri};

/// One declared symbol (Mach-O spelling: `_CFRelease`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decl {
    pub symbol: String,
    /// The `#[link(name = ...)]` names of its extern block (usually none or one).
    pub links: Vec<String>,
    /// The source file, relative to the crate root (`src/base.rs`).
    pub file: String,
}

#[derive(Debug, Default)]
pub struct CrateScan {
    pub decls: Vec<Decl>,
    /// Every library some `#[link]` in effect names, with its kind (`framework`, `dylib`…).
    pub links: BTreeMap<String, String>,
    /// Items the walk could not look into (macro invocations that may expand to extern
    /// blocks): reported, so a crate that declares through macros is noticed.
    pub macro_items: usize,
}

/// `files`: the crate's files by path relative to its root (`src/lib.rs`).
/// `extern_macros`: macros of the crate whose body is a list of foreign functions
/// (objc2's `extern_c! { pub fn objc_retain(..); }`), read as an `extern "C"` block.
pub fn scan(
    files: &BTreeMap<String, String>,
    root: &str,
    env: &CfgEnv,
    extern_macros: &[String],
) -> Result<CrateScan, String> {
    let mut w = Walker {
        files,
        env,
        extern_macros,
        out: CrateScan::default(),
        error: None,
        file: String::new(),
        mod_dir: String::new(),
        inline_depth: 0,
        loaded: BTreeSet::new(),
    };
    w.load(root, &parent(root))?;
    match w.error {
        Some(e) => Err(e),
        None => Ok(w.out),
    }
}

struct Walker<'a> {
    files: &'a BTreeMap<String, String>,
    env: &'a CfgEnv<'a>,
    extern_macros: &'a [String],
    out: CrateScan,
    error: Option<String>,
    /// The file being walked and the directory its child modules live in.
    file: String,
    mod_dir: String,
    /// Inline `mod x { }` blocks entered within the current file.
    inline_depth: usize,
    loaded: BTreeSet<String>,
}

fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => path[..i].to_string(),
        None => String::new(),
    }
}

fn join(dir: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if dir.is_empty() {
        vec![]
    } else {
        dir.split('/').collect()
    };
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

fn string_value(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(l) => match &l.lit {
            Lit::Str(s) => Some(s.value()),
            _ => None,
        },
        _ => None,
    }
}

impl Walker<'_> {
    fn fail(&mut self, msg: String) {
        if self.error.is_none() {
            self.error = Some(format!("{}: {msg}", self.file));
        }
    }

    fn load(&mut self, path: &str, mod_dir: &str) -> Result<(), String> {
        if !self.loaded.insert(path.to_string()) {
            return Ok(());
        }
        let text = self
            .files
            .get(path)
            .ok_or_else(|| format!("module file {path} is not in the crate"))?;
        let ast = syn::parse_file(text).map_err(|e| format!("parsing {path}: {e}"))?;
        match self.env.enabled(&ast.attrs) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => return Err(format!("{path}: {e}")),
        }
        let saved = (
            std::mem::replace(&mut self.file, path.to_string()),
            std::mem::replace(&mut self.mod_dir, mod_dir.to_string()),
            std::mem::replace(&mut self.inline_depth, 0),
        );
        for item in &ast.items {
            self.visit_item(item);
        }
        (self.file, self.mod_dir, self.inline_depth) = saved;
        Ok(())
    }

    fn enabled(&mut self, attrs: &[syn::Attribute]) -> bool {
        match self.env.enabled(attrs) {
            Ok(b) => b,
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }

    fn path_attr(&mut self, attrs: &[syn::Attribute]) -> Option<String> {
        let metas = match self.env.active_metas(attrs) {
            Ok(m) => m,
            Err(e) => {
                self.fail(e);
                return None;
            }
        };
        metas.iter().find_map(|m| match m {
            Meta::NameValue(nv) if nv.path.is_ident("path") => string_value(&nv.value),
            _ => None,
        })
    }

    fn module(&mut self, m: &syn::ItemMod) {
        let name = m.ident.to_string();
        let name = name.trim_start_matches("r#");
        let path_attr = self.path_attr(&m.attrs);
        if let Some((_, items)) = &m.content {
            let dir = join(&self.mod_dir, path_attr.as_deref().unwrap_or(name));
            let saved = std::mem::replace(&mut self.mod_dir, dir);
            self.inline_depth += 1;
            for item in items {
                self.visit_item(item);
            }
            self.inline_depth -= 1;
            self.mod_dir = saved;
            return;
        }
        let (file, child_dir) = match path_attr {
            Some(p) => {
                // Outside inline modules #[path] is relative to the current file's
                // directory; such a file owns its directory like a mod.rs.
                let base = if self.inline_depth == 0 {
                    parent(&self.file)
                } else {
                    self.mod_dir.clone()
                };
                let f = join(&base, &p);
                let d = parent(&f);
                (f, d)
            }
            None => {
                let flat = join(&self.mod_dir, &format!("{name}.rs"));
                let nested = join(&self.mod_dir, &format!("{name}/mod.rs"));
                let f = if self.files.contains_key(&flat) {
                    flat
                } else {
                    nested
                };
                (f, join(&self.mod_dir, name))
            }
        };
        if let Err(e) = self.load(&file, &child_dir) {
            self.fail(e);
        }
    }

    /// `cfg_if! { if #[cfg(a)] { .. } else if #[cfg(b)] { .. } else { .. } }` (libc and
    /// many -sys crates gate whole modules this way): the first branch that holds, and
    /// before it those that hold for some feature choices.
    fn cfg_if(&mut self, mac: &syn::Macro) {
        let branches: CfgIf = match mac.parse_body() {
            Ok(b) => b,
            Err(e) => return self.fail(format!("parsing cfg_if!: {e}")),
        };
        // Every branch that may be taken, until one surely is (features make branches
        // "maybe"; the stub covers each choice).
        for (attrs, items) in &branches.0 {
            let mut tri = Tri::Yes;
            for a in attrs {
                let p: crate::cfg::Pred = match a.parse_args() {
                    Ok(p) => p,
                    Err(e) => return self.fail(format!("parsing cfg_if! condition: {e}")),
                };
                match self.env.eval(&p) {
                    Ok(Tri::No) => tri = Tri::No,
                    Ok(Tri::Maybe) if tri == Tri::Yes => tri = Tri::Maybe,
                    Ok(_) => {}
                    Err(e) => return self.fail(e),
                }
            }
            if tri != Tri::No {
                for item in items {
                    self.visit_item(item);
                }
            }
            if tri == Tri::Yes {
                return;
            }
        }
    }

    /// `cfg_select! { pred => { .. } _ => { .. } }` (std's successor of cfg_if!; sysinfo
    /// selects its platform module with it): like cfg_if!.
    fn cfg_select(&mut self, mac: &syn::Macro) {
        let arms: CfgSelect = match mac.parse_body() {
            Ok(a) => a,
            Err(e) => return self.fail(format!("parsing cfg_select!: {e}")),
        };
        for (pred, items) in &arms.0 {
            let tri = match pred {
                None => Tri::Yes,
                Some(p) => match self.env.eval(p) {
                    Ok(t) => t,
                    Err(e) => return self.fail(e),
                },
            };
            if tri != Tri::No {
                for item in items {
                    self.visit_item(item);
                }
            }
            if tri == Tri::Yes {
                return;
            }
        }
    }

    fn foreign(&mut self, fm: &ItemForeignMod) {
        let abi = fm.abi.name.as_ref().map(|n| n.value());
        if !matches!(
            abi.as_deref(),
            None | Some("C") | Some("C-unwind") | Some("system") | Some("system-unwind")
        ) {
            return;
        }
        let metas = match self.env.active_metas(&fm.attrs) {
            Ok(m) => m,
            Err(e) => return self.fail(e),
        };
        let mut links = Vec::new();
        for m in &metas {
            let Meta::List(l) = m else { continue };
            if !l.path.is_ident("link") {
                continue;
            }
            let args = match l.parse_args_with(
                syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated,
            ) {
                Ok(a) => a,
                Err(e) => return self.fail(format!("parsing #[link]: {e}")),
            };
            let get = |key: &str| {
                args.iter().find_map(|a| match a {
                    Meta::NameValue(nv) if nv.path.is_ident(key) => string_value(&nv.value),
                    _ => None,
                })
            };
            if let Some(name) = get("name") {
                let kind = get("kind").unwrap_or_else(|| "dylib".into());
                self.out.links.insert(name.clone(), kind);
                links.push(name);
            }
        }
        for item in &fm.items {
            let (attrs, ident) = match item {
                ForeignItem::Fn(f) => (&f.attrs, &f.sig.ident),
                ForeignItem::Static(s) => (&s.attrs, &s.ident),
                ForeignItem::Macro(_) => {
                    self.out.macro_items += 1;
                    continue;
                }
                _ => continue,
            };
            if !self.enabled(attrs) {
                continue;
            }
            let metas = match self.env.active_metas(attrs) {
                Ok(m) => m,
                Err(e) => return self.fail(e),
            };
            let link_name = metas.iter().find_map(|m| match m {
                Meta::NameValue(nv) if nv.path.is_ident("link_name") => string_value(&nv.value),
                _ => None,
            });
            // `\x01` asks LLVM for the name as written, without the `_` Mach-O prefix.
            let symbol = match link_name {
                Some(n) if n.starts_with('\u{1}') => n[1..].to_string(),
                Some(n) => format!("_{n}"),
                None => format!("_{}", ident.to_string().trim_start_matches("r#")),
            };
            self.out.decls.push(Decl {
                symbol,
                links: links.clone(),
                file: self.file.clone(),
            });
        }
    }
}

/// The branches of a `cfg_if!` body: (the `#[cfg]` attributes, or none for `else`; items).
struct CfgIf(Vec<(Vec<syn::Attribute>, Vec<Item>)>);

impl syn::parse::Parse for CfgIf {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<CfgIf> {
        let mut branches = Vec::new();
        loop {
            let attrs = if input.peek(syn::Token![if]) {
                input.parse::<syn::Token![if]>()?;
                syn::Attribute::parse_outer(input)?
            } else {
                vec![]
            };
            let content;
            syn::braced!(content in input);
            let mut items = Vec::new();
            while !content.is_empty() {
                items.push(content.parse()?);
            }
            let last = attrs.is_empty();
            branches.push((attrs, items));
            if last || !input.peek(syn::Token![else]) {
                break;
            }
            input.parse::<syn::Token![else]>()?;
        }
        Ok(CfgIf(branches))
    }
}

/// The arms of a `cfg_select!` body: (predicate, or None for `_`; items).
struct CfgSelect(Vec<(Option<crate::cfg::Pred>, Vec<Item>)>);

impl syn::parse::Parse for CfgSelect {
    fn parse(input: syn::parse::ParseStream) -> syn::Result<CfgSelect> {
        let mut arms = Vec::new();
        while !input.is_empty() {
            let pred = if input.peek(syn::Token![_]) {
                input.parse::<syn::Token![_]>()?;
                None
            } else {
                Some(input.parse()?)
            };
            input.parse::<syn::Token![=>]>()?;
            let content;
            syn::braced!(content in input);
            let mut items = Vec::new();
            while !content.is_empty() {
                items.push(content.parse()?);
            }
            arms.push((pred, items));
            if input.peek(syn::Token![,]) {
                input.parse::<syn::Token![,]>()?;
            }
        }
        Ok(CfgSelect(arms))
    }
}

impl<'ast> Visit<'ast> for Walker<'_> {
    fn visit_item(&mut self, item: &'ast Item) {
        let attrs: &[syn::Attribute] = match item {
            Item::Const(i) => &i.attrs,
            Item::Enum(i) => &i.attrs,
            Item::ExternCrate(i) => &i.attrs,
            Item::Fn(i) => &i.attrs,
            Item::ForeignMod(i) => &i.attrs,
            Item::Impl(i) => &i.attrs,
            Item::Macro(i) => &i.attrs,
            Item::Mod(i) => &i.attrs,
            Item::Static(i) => &i.attrs,
            Item::Struct(i) => &i.attrs,
            Item::Trait(i) => &i.attrs,
            Item::TraitAlias(i) => &i.attrs,
            Item::Type(i) => &i.attrs,
            Item::Union(i) => &i.attrs,
            Item::Use(i) => &i.attrs,
            _ => &[],
        };
        if !self.enabled(attrs) {
            return;
        }
        match item {
            Item::Mod(m) => self.module(m),
            Item::ForeignMod(fm) => self.foreign(fm),
            Item::Macro(m)
                if m.mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "cfg_if") =>
            {
                self.cfg_if(&m.mac)
            }
            Item::Macro(m)
                if m.mac
                    .path
                    .segments
                    .last()
                    .is_some_and(|s| s.ident == "cfg_select") =>
            {
                self.cfg_select(&m.mac)
            }
            Item::Macro(m)
                if m.ident.is_none()
                    && m.mac.path.segments.last().is_some_and(|s| {
                        self.extern_macros.iter().any(|x| s.ident == x.as_str())
                    }) =>
            {
                let block = format!("extern \"C\" {{ {} }}", m.mac.tokens);
                match syn::parse_str::<ItemForeignMod>(&block) {
                    Ok(fm) => self.foreign(&fm),
                    Err(e) => self.fail(format!(
                        "reading {}! as foreign functions: {e}",
                        m.mac.path.segments.last().unwrap().ident
                    )),
                }
            }
            Item::Macro(m) => {
                // macro_rules! definitions are not code; invocations may hide extern blocks.
                if m.ident.is_none() {
                    self.out.macro_items += 1;
                }
            }
            _ => visit::visit_item(self, item),
        }
    }

    fn visit_impl_item(&mut self, i: &'ast ImplItem) {
        let attrs = match i {
            ImplItem::Fn(f) => &f.attrs,
            ImplItem::Const(c) => &c.attrs,
            _ => return,
        };
        if self.enabled(attrs) {
            visit::visit_impl_item(self, i);
        }
    }

    fn visit_trait_item(&mut self, i: &'ast TraitItem) {
        let attrs = match i {
            TraitItem::Fn(f) => &f.attrs,
            TraitItem::Const(c) => &c.attrs,
            _ => return,
        };
        if self.enabled(attrs) {
            visit::visit_trait_item(self, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::CfgSettings;

    fn settings() -> CfgSettings {
        serde_json::from_str(
            r#"{"true": ["target_os=macos", "target_vendor=apple"], "false": ["docsrs"],
                "closed_keys": ["target_os"], "features_off": ["gnustep-1-7"]}"#,
        )
        .unwrap()
    }

    fn scan_files(files: &[(&str, &str)], arch: &str) -> Result<CrateScan, String> {
        let s = settings();
        let env = CfgEnv { arch, settings: &s };
        let map = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect();
        scan(&map, "src/lib.rs", &env, &["extern_c".to_string()])
    }

    fn symbols(s: &CrateScan) -> Vec<(String, Option<String>)> {
        s.decls
            .iter()
            .map(|d| (d.symbol.clone(), d.links.first().cloned()))
            .collect()
    }

    #[test]
    fn follows_mod_files_path_attributes_and_function_bodies() {
        // objc2-* crates declare inside method bodies and load files through #[path].
        let s = scan_files(
            &[
                (
                    "src/lib.rs",
                    "#[cfg_attr(target_vendor = \"apple\", link(name = \"CoreFoundation\", kind = \"framework\"))] extern \"C\" {}
                     mod a; #[path = \"gen/b_impl.rs\"] mod b; mod c { mod d; }",
                ),
                ("src/a.rs", "extern \"C\" { pub fn CFRelease(p: *const u8); }"),
                (
                    "src/gen/b_impl.rs",
                    "impl X { fn id() -> u64 { extern \"C-unwind\" { fn CFStringGetTypeID() -> u64; } unsafe { CFStringGetTypeID() } } }",
                ),
                ("src/c/d.rs", "extern \"C\" { pub static kCFAllocatorDefault: *const u8; }"),
            ],
            "x86_64",
        )
        .unwrap();
        assert_eq!(
            symbols(&s),
            [
                ("_CFRelease".into(), None),
                ("_CFStringGetTypeID".into(), None),
                ("_kCFAllocatorDefault".into(), None),
            ]
        );
        assert_eq!(
            s.links.get("CoreFoundation").map(String::as_str),
            Some("framework")
        );
    }

    #[test]
    fn cfg_decides_which_declarations_a_macos_build_sees() {
        let s = scan_files(
            &[(
                "src/lib.rs",
                "#[link(name = \"objc\", kind = \"dylib\")] extern \"C\" {
                     pub fn objc_msgSend();
                     #[cfg(target_arch = \"x86_64\")] pub fn objc_msgSend_stret();
                     #[cfg(feature = \"gnustep-1-7\")] pub fn objc_msg_lookup();
                 }
                 #[cfg(target_os = \"ios\")] extern \"C\" { fn UIApplicationMain(); }",
            )],
            "aarch64",
        )
        .unwrap();
        assert_eq!(symbols(&s), [("_objc_msgSend".into(), Some("objc".into()))]);
    }

    #[test]
    fn link_name_replaces_the_rust_name() {
        let s = scan_files(
            &[(
                "src/lib.rs",
                "extern \"C\" { #[link_name = \"kIOMasterPortDefault\"] pub static kIOMainPortDefault: u32;
                                #[link_name = \"\\u{1}_exact\"] pub fn exact(); }",
            )],
            "x86_64",
        )
        .unwrap();
        let names: Vec<_> = s.decls.iter().map(|d| d.symbol.as_str()).collect();
        assert_eq!(names, ["_kIOMasterPortDefault", "_exact"]);
    }

    #[test]
    fn cfg_if_takes_the_first_branch_that_holds() {
        // libc reaches its Apple module (and the iconv declarations) only through cfg_if!.
        let s = scan_files(
            &[
                (
                    "src/lib.rs",
                    "cfg_if! { if #[cfg(target_os = \"ios\")] { mod ios; } else if #[cfg(target_vendor = \"apple\")] { mod apple; } else { mod other; } }",
                ),
                ("src/apple.rs", "#[link(name = \"iconv\")] extern \"C\" { pub fn iconv_open(); }"),
            ],
            "x86_64",
        )
        .unwrap();
        assert_eq!(symbols(&s), [("_iconv_open".into(), Some("iconv".into()))]);
    }

    #[test]
    fn cfg_select_takes_the_first_arm_that_holds() {
        let s = scan_files(
            &[
                (
                    "src/lib.rs",
                    "cfg_select! { target_os = \"ios\" => { mod ios; } feature = \"ci\" => { mod ci; } any(target_os = \"macos\") => { mod apple; } _ => { mod other; } }",
                ),
                ("src/ci.rs", "extern \"C\" { pub fn ci_only(); }"),
                ("src/apple.rs", "#[link(name = \"IOKit\", kind = \"framework\")] extern \"C\" { pub fn IOObjectRelease(); }"),
            ],
            "aarch64",
        )
        .unwrap();
        // The feature arm may be taken, the macOS arm surely is, `_` is not reached.
        assert_eq!(
            symbols(&s),
            [
                ("_ci_only".into(), None),
                ("_IOObjectRelease".into(), Some("IOKit".into()))
            ]
        );
    }

    #[test]
    fn declaring_macros_named_in_the_data_are_read_as_extern_blocks() {
        // objc2 declares the whole runtime through extern_c! { pub fn ...; }.
        let s = scan_files(
            &[(
                "src/lib.rs",
                "extern_c! { #[cfg(target_vendor = \"apple\")] pub fn objc_retain(obj: *mut u8) -> *mut u8;
                             #[cfg(feature = \"gnustep-1-7\")] pub fn objc_msg_lookup(); }
                 other_macro! { pub fn not_read(); }",
            )],
            "x86_64",
        )
        .unwrap();
        assert_eq!(symbols(&s), [("_objc_retain".into(), None)]);
        assert_eq!(s.macro_items, 1);
    }

    #[test]
    fn a_missing_module_file_is_an_error() {
        let e = scan_files(&[("src/lib.rs", "mod gone;")], "x86_64").unwrap_err();
        assert!(e.contains("src/gone/mod.rs"), "{e}");
    }
}
