//! The hot path as a library: what runs when rustc or cc-rs call a
//! `nixcross-<target>-<role>` link. Two binaries use it: `nixcross-wrap`, the small
//! program the links point at (nothing but this path, so a call pages in little), and
//! `nixcross`, the tools people call (which can also act as a link, for a lone copy).

pub mod error;
pub mod hot;
