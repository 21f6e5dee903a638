//! Evaluates `#[cfg(...)]` and `#[cfg_attr(...)]` for one macOS architecture, so the
//! generator sees the declarations a macOS build of the crate compiles. A predicate the
//! data does not decide is an error, never a guess.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Attribute, Ident, LitStr, Meta, Token};

use crate::sources::CfgSettings;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pred {
    Name(String),
    KeyValue(String, String),
    All(Vec<Pred>),
    Any(Vec<Pred>),
    Not(Box<Pred>),
}

impl Parse for Pred {
    fn parse(input: ParseStream) -> syn::Result<Pred> {
        let ident: Ident = input.call(syn::ext::IdentExt::parse_any)?;
        let name = ident.to_string();
        // `unix => { .. }` in cfg_select!: `=>` is not `= "value"`.
        if input.peek(Token![=]) && !input.peek(Token![=>]) {
            input.parse::<Token![=]>()?;
            let value: LitStr = input.parse()?;
            return Ok(Pred::KeyValue(name, value.value()));
        }
        if input.peek(syn::token::Paren) {
            let content;
            syn::parenthesized!(content in input);
            let list: Vec<Pred> = Punctuated::<Pred, Token![,]>::parse_terminated(&content)?
                .into_iter()
                .collect();
            return match name.as_str() {
                "all" => Ok(Pred::All(list)),
                "any" => Ok(Pred::Any(list)),
                "not" if list.len() == 1 => {
                    Ok(Pred::Not(Box::new(list.into_iter().next().unwrap())))
                }
                _ => Err(syn::Error::new(
                    ident.span(),
                    format!("unknown cfg operator {name}"),
                )),
            };
        }
        Ok(Pred::Name(name))
    }
}

/// `cfg_attr(pred, a, b)`: the predicate and the attributes it guards.
struct CfgAttr {
    pred: Pred,
    metas: Vec<Meta>,
}

impl Parse for CfgAttr {
    fn parse(input: ParseStream) -> syn::Result<CfgAttr> {
        let pred: Pred = input.parse()?;
        input.parse::<Token![,]>()?;
        let metas = Punctuated::<Meta, Token![,]>::parse_terminated(input)?
            .into_iter()
            .collect();
        Ok(CfgAttr { pred, metas })
    }
}

pub struct CfgEnv<'a> {
    pub arch: &'a str,
    pub settings: &'a CfgSettings,
}

/// A cfg predicate's value for macOS: cargo features make most of them depend on what the
/// user turns on, and a stub must cover every choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    Yes,
    No,
    /// Holds for some feature choices.
    Maybe,
}

impl CfgEnv<'_> {
    pub fn eval(&self, p: &Pred) -> Result<Tri, String> {
        Ok(match p {
            Pred::All(list) => {
                let mut out = Tri::Yes;
                for q in list {
                    match self.eval(q)? {
                        Tri::No => return Ok(Tri::No),
                        Tri::Maybe => out = Tri::Maybe,
                        Tri::Yes => {}
                    }
                }
                out
            }
            Pred::Any(list) => {
                let mut out = Tri::No;
                for q in list {
                    match self.eval(q)? {
                        Tri::Yes => return Ok(Tri::Yes),
                        Tri::Maybe => out = Tri::Maybe,
                        Tri::No => {}
                    }
                }
                out
            }
            Pred::Not(q) => match self.eval(q)? {
                Tri::Yes => Tri::No,
                Tri::No => Tri::Yes,
                Tri::Maybe => Tri::Maybe,
            },
            Pred::KeyValue(k, v) if k == "target_arch" => yes_if(v == self.arch),
            Pred::KeyValue(k, v) if k == "feature" => {
                if self.settings.feature_off(v) {
                    Tri::No
                } else {
                    Tri::Maybe
                }
            }
            Pred::KeyValue(k, v) => {
                let key = format!("{k}={v}");
                if self.settings.truths.contains(&key) {
                    Tri::Yes
                } else if self.settings.falses.contains(&key)
                    || self.settings.closed_keys.contains(k)
                {
                    Tri::No
                } else {
                    return Err(format!(
                        "cfg `{k} = \"{v}\"` is not decided by sources.json (cfg.true, cfg.false or cfg.closed_keys)"
                    ));
                }
            }
            Pred::Name(n) => {
                if self.settings.truths.contains(n) {
                    Tri::Yes
                } else if self.settings.falses.contains(n) {
                    Tri::No
                } else {
                    return Err(format!(
                        "cfg `{n}` is not decided by sources.json (cfg.true or cfg.false)"
                    ));
                }
            }
        })
    }

    /// Whether an item may be compiled: no `#[cfg]` on it is false for every feature choice.
    pub fn enabled(&self, attrs: &[Attribute]) -> Result<bool, String> {
        for a in attrs {
            if a.path().is_ident("cfg") {
                let p: Pred = a.parse_args().map_err(|e| format!("parsing #[cfg]: {e}"))?;
                if self.eval(&p)? == Tri::No {
                    return Ok(false);
                }
            }
        }
        for m in self.active_metas(attrs)? {
            if m.path().is_ident("cfg") {
                let Meta::List(list) = &m else { continue };
                let p: Pred = syn::parse2(list.tokens.clone())
                    .map_err(|e| format!("parsing cfg in cfg_attr: {e}"))?;
                if self.eval(&p)? == Tri::No {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The attributes that may be in effect: plain ones, and those inside `cfg_attr` whose
    /// predicate may hold (nested `cfg_attr` included).
    pub fn active_metas(&self, attrs: &[Attribute]) -> Result<Vec<Meta>, String> {
        let mut out = Vec::new();
        for a in attrs {
            if a.path().is_ident("cfg_attr") {
                let ca: CfgAttr = a
                    .parse_args()
                    .map_err(|e| format!("parsing #[cfg_attr]: {e}"))?;
                self.expand(ca, &mut out)?;
            } else if !a.path().is_ident("cfg") {
                out.push(a.meta.clone());
            }
        }
        Ok(out)
    }

    fn expand(&self, ca: CfgAttr, out: &mut Vec<Meta>) -> Result<(), String> {
        if self.eval(&ca.pred)? == Tri::No {
            return Ok(());
        }
        for m in ca.metas {
            match &m {
                Meta::List(l) if l.path.is_ident("cfg_attr") => {
                    let inner: CfgAttr = syn::parse2(l.tokens.clone())
                        .map_err(|e| format!("parsing nested cfg_attr: {e}"))?;
                    self.expand(inner, out)?;
                }
                _ => out.push(m),
            }
        }
        Ok(())
    }
}

fn yes_if(b: bool) -> Tri {
    if b {
        Tri::Yes
    } else {
        Tri::No
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> CfgSettings {
        serde_json::from_str(
            r#"{"true": ["unix", "target_os=macos", "target_vendor=apple"],
                "false": ["docsrs"], "closed_keys": ["target_os"],
                "features_off": ["gnustep-*", "rustc-dep-of-std"]}"#,
        )
        .unwrap()
    }

    fn eval(src: &str, arch: &str) -> Result<Tri, String> {
        let s = settings();
        let env = CfgEnv { arch, settings: &s };
        env.eval(&syn::parse_str::<Pred>(src).unwrap())
    }

    #[test]
    fn macos_predicates_follow_the_data() {
        assert_eq!(eval("target_os = \"macos\"", "x86_64"), Ok(Tri::Yes));
        assert_eq!(
            eval("target_os = \"ios\"", "x86_64"),
            Ok(Tri::No),
            "closed key"
        );
        assert_eq!(eval("all(unix, not(docsrs))", "x86_64"), Ok(Tri::Yes));
        assert_eq!(
            eval(
                "any(target_os = \"ios\", target_vendor = \"apple\")",
                "x86_64"
            ),
            Ok(Tri::Yes)
        );
    }

    #[test]
    fn arch_is_the_one_being_generated() {
        assert_eq!(eval("target_arch = \"aarch64\"", "aarch64"), Ok(Tri::Yes));
        assert_eq!(eval("target_arch = \"aarch64\"", "x86_64"), Ok(Tri::No));
    }

    #[test]
    fn features_may_be_either_unless_listed_off() {
        // Stubs must cover whatever features a user turns on or off (sysinfo's
        // apple-sandbox feature removes its IOKit code); GNUstep is another runtime.
        assert_eq!(eval("feature = \"NSString\"", "x86_64"), Ok(Tri::Maybe));
        assert_eq!(
            eval("not(feature = \"apple-sandbox\")", "x86_64"),
            Ok(Tri::Maybe)
        );
        assert_eq!(
            eval("feature = \"gnustep-1-7\"", "x86_64"),
            Ok(Tri::No),
            "prefix*"
        );
        assert_eq!(
            eval("feature = \"rustc-dep-of-std\"", "x86_64"),
            Ok(Tri::No)
        );
        assert_eq!(eval("feature = \"gnustep\"", "x86_64"), Ok(Tri::Maybe));
        assert_eq!(
            eval("all(feature = \"x\", target_os = \"ios\")", "x86_64"),
            Ok(Tri::No)
        );
        assert_eq!(eval("any(feature = \"x\", unix)", "x86_64"), Ok(Tri::Yes));
    }

    #[test]
    fn an_undecided_predicate_is_an_error_naming_it() {
        let e = eval("objc2_custom", "x86_64").unwrap_err();
        assert!(e.contains("objc2_custom"), "{e}");
        let e = eval("target_env = \"gnu\"", "x86_64").unwrap_err();
        assert!(e.contains("target_env"), "{e}");
    }

    #[test]
    fn cfg_attr_yields_its_attributes_only_when_the_predicate_holds() {
        let s = settings();
        let env = CfgEnv {
            arch: "x86_64",
            settings: &s,
        };
        let item: syn::ItemForeignMod = syn::parse_str(
            r#"#[cfg_attr(target_os = "macos", link(name = "CoreFoundation", kind = "framework"))]
               #[cfg_attr(target_os = "ios", link(name = "UIKit", kind = "framework"))]
               extern "C" {}"#,
        )
        .unwrap();
        let metas = env.active_metas(&item.attrs).unwrap();
        assert_eq!(metas.len(), 1);
        let Meta::List(link) = &metas[0] else {
            panic!("expected link(...)")
        };
        assert!(link.path.is_ident("link"));
        let text = link.tokens.to_string();
        assert!(text.contains("CoreFoundation"), "{text}");
    }
}
