//! The subcommands people (and the Nix layer) call: env, links, prewarm, check, universal2,
//! bundle. They build on the hot path's table and wrapper, never the other way round.

pub mod archive;
pub mod buildtools;
pub mod bundle;
pub mod codesign;
pub mod envcmd;
pub mod fat;
pub mod inspect;
pub mod leaks;
pub mod prewarm;
pub mod report;
pub mod scrub;
pub mod staticlib;
pub mod stream;
pub mod universal;
