//! Text a person reads, made safe to print. Object names, kinds, file names, field values,
//! warnings and audit values come from the input: a name holding a line break would print a
//! line of its own (`ACCEPTED Pod default/forged`), an escape sequence would recolour or move
//! the cursor of the terminal, a bidirectional override would reorder what is shown. So every
//! such character is written as an escape (`\n`, `\r`, `\t`, `\u{1b}`, `\u{202e}`) in every
//! line the checker prints for people (text output, standard error, the Markdown report).
//! JSON, SARIF, JUnit and the HTML report keep the exact values (their formats escape them).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether a character is written as an escape: controls (C0, DEL, C1 with NEL and CSI), the
/// Unicode line and paragraph separators, the bidirectional controls, the byte-order mark and
/// the non-characters U+FFFE and U+FFFF.
pub fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fffe}'
                | '\u{ffff}'
        )
}

/// `s` on one line, with every [`hidden`] character escaped; borrowed when there is none.
pub fn text(s: &str) -> Cow<'_, str> {
    if !s.chars().any(hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if hidden(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A text of several lines (the settings' problems, one a line): each line escaped as
/// [`text`], the line breaks between them kept.
pub fn lines(s: &str) -> String {
    s.split('\n').map(text).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_could_forge_or_hide_a_line_is_escaped() {
        let cases = [
            ("plain", "web-1 default/app", "web-1 default/app"),
            (
                "line break",
                "x\nACCEPTED Pod default/forged",
                "x\\nACCEPTED Pod default/forged",
            ),
            ("carriage return", "x\rACCEPTED", "x\\rACCEPTED"),
            (
                "escape sequence",
                "\u{1b}[32mok\u{1b}[0m",
                "\\u{1b}[32mok\\u{1b}[0m",
            ),
            ("C1 CSI", "\u{9b}31m", "\\u{9b}31m"),
            ("NEL", "a\u{85}b", "a\\u{85}b"),
            (
                "line separator",
                "a\u{2028}b\u{2029}",
                "a\\u{2028}b\\u{2029}",
            ),
            ("bidi override", "txt.\u{202e}lmth", "txt.\\u{202e}lmth"),
            ("bidi isolate", "\u{2066}x\u{2069}", "\\u{2066}x\\u{2069}"),
            ("tab", "a\tb", "a\\tb"),
            ("DEL and NUL", "\u{7f}\u{0}", "\\u{7f}\\u{0}"),
            ("BOM", "\u{feff}x", "\\u{feff}x"),
            ("printable unicode", "équipe 🛠 Ω", "équipe 🛠 Ω"),
        ];
        for (name, input, want) in cases {
            assert_eq!(text(input), want, "{name}");
        }
        assert!(matches!(text("plain"), Cow::Borrowed(_)));
        assert_eq!(
            lines("invalid settings:\na: \u{1b}[1m\nb"),
            "invalid settings:\na: \\u{1b}[1m\nb"
        );
    }
}
