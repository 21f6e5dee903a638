//! One error type; every message says what to do next.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    UnknownTarget {
        target: String,
        known: Vec<String>,
    },
    ZigNotFound {
        tried: String,
    },
    NdkNotFound {
        target: String,
    },
    ToolNotFound {
        tool: PathBuf,
        hint: String,
    },
    NoWritableCache {
        tried: Vec<(PathBuf, String)>,
    },
    ResponseFile {
        path: PathBuf,
        problem: String,
    },
    RoleNotSupported {
        role: String,
        target: String,
    },
    Spawn {
        program: PathBuf,
        source: std::io::Error,
    },
    Usage(String),
    /// An environment variable nixcross reads holds bytes that are not UTF-8.
    NotUtf8Setting {
        name: String,
        value: String,
    },
    Io {
        what: String,
        source: std::io::Error,
    },
    Check(String),
    /// A macOS link asks for frameworks or libraries that neither zig, nixcross's stubs
    /// nor a search path (an SDK) provides.
    MissingLinkLibraries {
        target: String,
        /// What is missing, described (`framework Metal (asked for by crate metal)`).
        missing: Vec<String>,
        /// What nixcross stubs: frameworks, and -l libraries.
        stubbed: (Vec<&'static str>, Vec<&'static str>),
        sdk: Option<String>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::UnknownTarget { target, known } => write!(
                f,
                "unknown target '{target}'; supported targets: {} (run 'nixcross targets')",
                known.join(", ")
            ),
            Error::ZigNotFound { tried } => write!(
                f,
                "zig not found ({tried}); put zig on PATH or set NIXCROSS_ZIG=/path/to/zig (with pip's ziglang, point at site-packages/ziglang/zig itself, not a symlink)"
            ),
            Error::NdkNotFound { target } => write!(
                f,
                "{target} needs the Android NDK: set NIXCROSS_ANDROID_NDK (or ANDROID_NDK_HOME) to the NDK root that holds toolchains/llvm/prebuilt"
            ),
            Error::ToolNotFound { tool, hint } => {
                write!(f, "{} does not exist; {hint}", tool.display())
            }
            Error::NoWritableCache { tried } => {
                write!(f, "no writable directory for zig's cache (tried ")?;
                for (i, (p, why)) in tried.iter().enumerate() {
                    write!(f, "{}{}: {why}", if i > 0 { ", " } else { "" }, p.display())?;
                }
                write!(f, "); set NIXCROSS_CACHE_DIR to a writable directory")
            }
            Error::ResponseFile { path, problem } => write!(
                f,
                "cannot use response file {}: {problem}",
                path.display()
            ),
            Error::RoleNotSupported { role, target } => {
                write!(f, "the '{role}' tool is not used for {target}")
            }
            Error::Spawn { program, source } => {
                write!(f, "cannot run {}: {source}", program.display())
            }
            Error::Usage(msg) => write!(f, "{msg}"),
            Error::NotUtf8Setting { name, value } => write!(
                f,
                "{name} is not valid UTF-8 ('{value}'), and nixcross reads it as text: set it to a UTF-8 value (a path without such bytes, e.g. a symlink to it), or unset it"
            ),
            Error::Io { what, source } => write!(f, "{what}: {source}"),
            Error::Check(msg) => write!(f, "{msg}"),
            Error::MissingLinkLibraries {
                target,
                missing,
                stubbed,
                sdk,
            } => {
                write!(
                    f,
                    "{target}: the link asks for {}, which nixcross's stubs (frameworks {}; libraries {}) do not provide",
                    missing.join(" and "),
                    stubbed.0.join(", "),
                    stubbed.1.join(", ")
                )?;
                match sdk {
                    Some(dir) => write!(
                        f,
                        " and neither does the SDK in NIXCROSS_DARWIN_SDK={dir}: point it (darwinSdk in Nix) at an unpacked macOS SDK root, the directory holding System/Library/Frameworks and usr/lib"
                    ),
                    None => write!(
                        f,
                        ", and no macOS SDK was given: set darwinSdk = <unpacked macOS SDK> in mkCrossPackages (Nix), or NIXCROSS_DARWIN_SDK=<SDK dir> without Nix (docs/troubleshooting.md)"
                    ),
                }
            }
        }
    }
}

impl std::error::Error for Error {}

/// For `map_err`: an I/O failure, saying what was being done.
pub fn io(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { what, source }
}
