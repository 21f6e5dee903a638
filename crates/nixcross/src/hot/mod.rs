//! The hot path: what runs when rustc or cc-rs call a `nixcross-<target>-<role>` link,
//! thousands of times per build. Nothing here depends on the tools people call.

pub mod cache;
pub mod linkreq;
pub mod osargs;
pub mod pkgconfig;
pub mod respfile;
pub mod rules;
pub mod seed;
pub mod signals;
pub mod stubs;
pub mod table;
pub mod wrap;
