//! GNU-style response files (`@file`): rustc writes its linker arguments to one when the
//! command line is long, and any argument read from one must go through the same rules.
//!
//! Syntax (libiberty's `buildargv`, which gcc, GNU ld, clang and zig's clang share):
//! arguments are separated by white space; `'...'` and `"..."` quote; a backslash takes
//! the next character literally.

use std::path::Path;

use crate::error::Error;

/// Nesting limit: a response file naming itself must not loop forever.
const MAX_DEPTH: usize = 16;

pub fn parse(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_arg = false;
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                let next = chars.next().ok_or("ends with a lone backslash")?;
                cur.push(next);
                in_arg = true;
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_arg = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_arg {
                    out.push(std::mem::take(&mut cur));
                    in_arg = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_arg = true;
            }
        }
    }
    if let Some(q) = quote {
        return Err(format!("unterminated {q} quote"));
    }
    if in_arg {
        out.push(cur);
    }
    Ok(out)
}

/// One argument per line; every character that the parser treats specially is escaped,
/// so spaces, quotes, backslashes and non-ASCII text survive; empty arguments are `''`.
pub fn write(args: &[String]) -> String {
    let bytes: Vec<u8> = args
        .iter()
        .flat_map(|a| write_bytes(a.as_bytes()))
        .collect();
    String::from_utf8(bytes).expect("escaping UTF-8 keeps it UTF-8")
}

/// `write` of one argument, any bytes (bytes that are not UTF-8 go as they are: GNU
/// readers take bytes).
pub fn write_bytes(arg: &[u8]) -> Vec<u8> {
    let mut s = Vec::with_capacity(arg.len() + 3);
    if arg.is_empty() {
        s.extend_from_slice(b"''");
    }
    for chunk in arg.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_whitespace() || matches!(c, '\\' | '\'' | '"') {
                s.push(b'\\');
            }
            s.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        }
        s.extend_from_slice(chunk.invalid());
    }
    s.push(b'\n');
    s
}

/// A response file for zig, whose reader (std.process `IteratorGeneral` with single
/// quotes on) differs from GNU's: backslashes are literal except before a quote, both `"`
/// and `'` toggle quoting, and an escaped `'` comes out as `"` (zig 0.17), so a literal
/// single quote cannot be written at all. Each argument is double-quoted; returns None
/// for an argument holding `'`, which must then be passed on the command line.
pub fn write_zig_arg(arg: &str) -> Option<String> {
    write_zig_arg_bytes(arg.as_bytes())
        .map(|b| String::from_utf8(b).expect("quoting UTF-8 keeps it UTF-8"))
}

/// `write_zig_arg` of any bytes: zig's reader splits on ASCII only, so bytes that are
/// not UTF-8 go as they are.
pub fn write_zig_arg_bytes(arg: &[u8]) -> Option<Vec<u8>> {
    if arg.contains(&b'\'') {
        return None;
    }
    let mut s = Vec::with_capacity(arg.len() + 2);
    s.push(b'"');
    let mut backslashes = 0;
    for &b in arg {
        match b {
            b'\\' => backslashes += 1,
            b'"' => {
                // 2n+1 backslashes then a quote: n literal backslashes and a literal quote.
                s.extend(std::iter::repeat_n(b'\\', backslashes * 2 + 1));
                s.push(b'"');
                backslashes = 0;
            }
            b => {
                s.extend(std::iter::repeat_n(b'\\', backslashes));
                backslashes = 0;
                s.push(b);
            }
        }
    }
    // Backslashes before the closing quote must be doubled, or they escape it.
    s.extend(std::iter::repeat_n(b'\\', backslashes * 2));
    s.push(b'"');
    Some(s)
}

/// Options whose next argument is a value: `-install_name @rpath/libfoo.dylib` (CMake),
/// `-rpath @loader_path/..`, `-Xlinker @executable_path/..` are macOS paths, not
/// response files.
const TAKES_A_VALUE: &[&str] = &[
    "-install_name",
    "-rpath",
    "-Xlinker",
    "-Xclang",
    "-Xassembler",
    "-Xpreprocessor",
    "-o",
    "-MF",
    "-MT",
    "-MQ",
    "-include",
    "-framework",
    "-weak_framework",
    "-exported_symbols_list",
    "-unexported_symbols_list",
];

/// Whether `arg`, following `prev`, is a response file: as clang and GNU tools decide,
/// an `@path` naming a file that exists (anything else, `@loader_path/..`, goes on as it
/// is), and never the value of an option.
fn is_response_file(prev: Option<&str>, arg: &str) -> Option<String> {
    let path = arg.strip_prefix('@').filter(|p| !p.is_empty())?;
    if prev.is_some_and(|p| TAKES_A_VALUE.contains(&p)) {
        return None;
    }
    std::fs::metadata(path)
        .is_ok_and(|m| m.is_file())
        .then(|| path.to_string())
}

/// Replaces every `@file` argument by the arguments it holds, recursively.
/// Returns whether any response file was read.
pub fn expand(args: Vec<String>) -> Result<(Vec<String>, bool), Error> {
    let mut out = Vec::with_capacity(args.len());
    let mut used = false;
    expand_into(args, &mut out, &mut used, 0)?;
    Ok((out, used))
}

fn expand_into(
    args: Vec<String>,
    out: &mut Vec<String>,
    used: &mut bool,
    depth: usize,
) -> Result<(), Error> {
    let mut prev: Option<String> = None;
    for arg in args {
        let Some(path) = is_response_file(prev.as_deref(), &arg) else {
            prev = Some(arg.clone());
            out.push(arg);
            continue;
        };
        prev = None;
        let path = Path::new(&path);
        let err = |problem: String| Error::ResponseFile {
            path: path.to_path_buf(),
            problem,
        };
        if depth >= MAX_DEPTH {
            return Err(err(format!(
                "response files nested deeper than {MAX_DEPTH} (does one include itself?)"
            )));
        }
        let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            err(format!(
                "not UTF-8 at byte {}",
                e.utf8_error().valid_up_to()
            ))
        })?;
        let inner = parse(&text).map_err(err)?;
        *used = true;
        expand_into(inner, out, used, depth + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_rustc_linker_arguments_files() {
        // rustc escapes '\\' and ' ' with a backslash, one argument per line.
        let text = "-m64\n/tmp/my\\ dir/a.o\n-L\n/x\\\\y\n";
        assert_eq!(
            parse(text).unwrap(),
            v(&["-m64", "/tmp/my dir/a.o", "-L", "/x\\y"])
        );
    }

    #[test]
    fn parses_quotes_and_joins_adjacent_parts() {
        assert_eq!(parse("'a b'\"c d\" e'f'").unwrap(), v(&["a bc d", "ef"]));
        assert_eq!(parse("'' x").unwrap(), v(&["", "x"]));
    }

    #[test]
    fn at_arguments_that_are_macos_paths_are_not_response_files() {
        // CMake passes -install_name @rpath/libfoo.dylib; -rpath @loader_path/.. and
        // -Xlinker @executable_path/.. are common too: zig takes all three as they are.
        let d = tempfile::tempdir().unwrap();
        let rsp = d.path().join("args");
        std::fs::write(&rsp, "-lfoo\n").unwrap();
        let rsp_arg = format!("@{}", rsp.display());
        let input = v(&[
            "-install_name",
            "@rpath/libfoo.dylib",
            "-Xlinker",
            "@executable_path/../lib",
            "@loader_path/..",
            "-o",
            &rsp_arg,
            &rsp_arg,
        ]);
        let (out, used) = expand(input).unwrap();
        assert!(used);
        assert_eq!(
            out,
            v(&[
                "-install_name",
                "@rpath/libfoo.dylib",
                "-Xlinker",
                "@executable_path/../lib",
                "@loader_path/..",
                "-o",
                &rsp_arg,
                "-lfoo",
            ])
        );
    }

    #[test]
    fn malformed_files_are_errors() {
        assert!(parse("'abc").unwrap_err().contains("unterminated"));
        assert!(parse("abc\\").unwrap_err().contains("backslash"));
    }

    #[test]
    fn write_then_parse_round_trips_awkward_arguments() {
        let args = v(&[
            "plain",
            "with space",
            "tab\there",
            "quote'single",
            "quote\"double",
            "back\\slash",
            "",
            "日本語/ファイル.o",
            "new\nline",
        ]);
        assert_eq!(parse(&write(&args)).unwrap(), args);
    }

    /// zig's reader, transcribed from lib/std/process/Args.zig (IteratorGeneral with
    /// single_quotes), to check the writer against; the integration tests run real zig.
    fn zig_parse(text: &str) -> Vec<String> {
        let mut out = vec![];
        let mut chars = text.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            if chars.peek().is_none() {
                return out;
            }
            let (mut cur, mut bs, mut in_quote) = (String::new(), 0usize, false);
            loop {
                match chars.next() {
                    None => {
                        cur.extend(std::iter::repeat_n('\\', bs));
                        out.push(cur);
                        return out;
                    }
                    Some(q @ ('"' | '\'')) => {
                        cur.extend(std::iter::repeat_n('\\', bs / 2));
                        if bs % 2 == 0 {
                            in_quote = !in_quote;
                        } else {
                            let _ = q;
                            cur.push('"');
                        }
                        bs = 0;
                    }
                    Some('\\') => bs += 1,
                    Some(c) if c.is_whitespace() => {
                        cur.extend(std::iter::repeat_n('\\', bs));
                        bs = 0;
                        if in_quote {
                            cur.push(c);
                        } else {
                            out.push(std::mem::take(&mut cur));
                            break;
                        }
                    }
                    Some(c) => {
                        cur.extend(std::iter::repeat_n('\\', bs));
                        bs = 0;
                        cur.push(c);
                    }
                }
            }
        }
    }

    #[test]
    fn zig_writer_round_trips_through_zigs_reader() {
        let args = v(&[
            "plain",
            "with space",
            "quote\"double",
            "back\\slash",
            "trailing\\",
            "bs\\\"q",
            "",
            "日本語/ファイル.o",
            "new\nline",
            "#hash",
        ]);
        let text: String = args
            .iter()
            .map(|a| write_zig_arg(a).unwrap() + "\n")
            .collect();
        assert_eq!(zig_parse(&text), args);
    }

    #[test]
    fn zig_writer_refuses_single_quotes_it_cannot_encode() {
        assert_eq!(write_zig_arg("it's"), None);
    }

    #[test]
    fn expands_nested_response_files() {
        let dir = tempfile::tempdir().unwrap();
        let inner = dir.path().join("inner.rsp");
        std::fs::write(&inner, "-lfoo\n'b c.o'\n").unwrap();
        let outer = dir.path().join("outer rsp");
        std::fs::write(
            &outer,
            format!(
                "a.o\n@{}\n",
                inner.display().to_string().replace(' ', "\\ ")
            ),
        )
        .unwrap();
        let (args, used) = expand(v(&["-o", "x", &format!("@{}", outer.display())])).unwrap();
        assert!(used);
        assert_eq!(args, v(&["-o", "x", "a.o", "-lfoo", "b c.o"]));
    }

    #[test]
    fn self_including_response_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("loop.rsp");
        std::fs::write(&f, format!("@{}\n", f.display())).unwrap();
        let e = expand(v(&[&format!("@{}", f.display())]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("nested deeper"), "{e}");
    }

    #[test]
    fn an_at_argument_naming_no_file_is_passed_on_as_clang_does() {
        // clang and GNU ld leave an @argument they cannot read as it is; zig then says
        // what is wrong with it.
        let (out, used) = expand(v(&["@/nonexistent/args.rsp"])).unwrap();
        assert_eq!(out, v(&["@/nonexistent/args.rsp"]));
        assert!(!used);
    }

    #[test]
    fn an_unreadable_response_file_names_the_file() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("bad.rsp");
        std::fs::write(&f, b"\xff\xfe not utf-8").unwrap();
        let e = expand(v(&[&format!("@{}", f.display())]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("bad.rsp") && e.contains("UTF-8"), "{e}");
    }
}
