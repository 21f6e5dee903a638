//! Arguments that are not UTF-8 (a Latin-1 file name such as `/tmp/x\xff/a.o`): zig
//! takes any bytes, but the rules work on Strings. Each run of bytes that is not UTF-8 is
//! replaced by a placeholder that no real argument can hold (it is delimited by NUL,
//! which no argv string contains) and no rule matches, so the rest of the argument still
//! meets the rules as a UTF-8 one would (`/home/jos\xe9/.../self-contained/crt1.o` is
//! rustc's crt object all the same); the original bytes are put back where zig gets its
//! arguments: its command line and its response files.

use std::borrow::Cow;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

const PREFIX: &str = "\0nixcross-byte-";

/// The byte runs replaced by placeholders, by placeholder number.
#[derive(Debug, Default)]
pub struct Originals(Vec<Vec<u8>>);

/// The arguments as Strings, with placeholders for the bytes that are not UTF-8.
pub fn split(args: Vec<OsString>) -> (Vec<String>, Originals) {
    let mut originals = Originals::default();
    let strings = args
        .into_iter()
        .map(|a| {
            a.into_string()
                .unwrap_or_else(|bad| originals.encode(&bad.into_vec()))
        })
        .collect();
    (strings, originals)
}

impl Originals {
    fn encode(&mut self, bytes: &[u8]) -> String {
        let mut s = String::new();
        for chunk in bytes.utf8_chunks() {
            s.push_str(chunk.valid());
            if !chunk.invalid().is_empty() {
                s.push_str(&format!("{PREFIX}{}\0", self.0.len()));
                self.0.push(chunk.invalid().to_vec());
            }
        }
        s
    }

    /// The bytes of `arg` as zig must get them, placeholders replaced by what they stand
    /// for (also inside arguments the rules made from them, `-Wl,<path>`).
    pub fn bytes<'a>(&self, arg: &'a str) -> Cow<'a, [u8]> {
        if self.0.is_empty() || !arg.contains(PREFIX) {
            return Cow::Borrowed(arg.as_bytes());
        }
        let mut out = Vec::with_capacity(arg.len());
        let mut rest = arg;
        while let Some(at) = rest.find(PREFIX) {
            out.extend_from_slice(&rest.as_bytes()[..at]);
            let after = &rest[at + PREFIX.len()..];
            let original = after
                .split_once('\0')
                .and_then(|(n, tail)| Some((self.0.get(n.parse::<usize>().ok()?)?, tail)));
            match original {
                Some((bytes, tail)) => {
                    out.extend_from_slice(bytes);
                    rest = tail;
                }
                // Not one of ours: kept as it is.
                None => {
                    out.extend_from_slice(PREFIX.as_bytes());
                    rest = after;
                }
            }
        }
        out.extend_from_slice(rest.as_bytes());
        Cow::Owned(out)
    }

    /// `arg` as zig must get it.
    pub fn restore(&self, arg: &str) -> OsString {
        OsString::from_vec(self.bytes(arg).into_owned())
    }

    /// `arg` for messages and logs: the original, lossily decoded.
    pub fn display(&self, arg: &str) -> String {
        String::from_utf8_lossy(&self.bytes(arg)).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn bytes_that_are_not_utf8_are_put_back_byte_for_byte() {
        let odd = OsStr::from_bytes(b"/tmp/x\xff\xfe/a\xe9.o").to_os_string();
        let (args, originals) = split(vec!["-o".into(), odd.clone(), "b.o".into()]);
        assert_eq!(args[0], "-o");
        // The UTF-8 parts stay visible to the rules.
        assert!(
            args[1].starts_with("/tmp/x\0") && args[1].ends_with("\0.o"),
            "{:?}",
            args[1]
        );
        assert_eq!(originals.restore(&args[1]), odd);
        assert_eq!(originals.restore("b.o"), OsString::from("b.o"));
        // Inside an argument a rule made from it.
        let joined = format!("-Wl,-rpath,{}", args[1]);
        assert_eq!(
            &originals.bytes(&joined)[..],
            b"-Wl,-rpath,/tmp/x\xff\xfe/a\xe9.o"
        );
        assert_eq!(
            originals.display(&args[1]),
            "/tmp/x\u{fffd}\u{fffd}/a\u{fffd}.o"
        );
        // A placeholder-looking string nixcross did not make stays what it is.
        let foreign = format!("{PREFIX}7\0");
        assert_eq!(&originals.bytes(&foreign)[..], foreign.as_bytes());
    }
}
