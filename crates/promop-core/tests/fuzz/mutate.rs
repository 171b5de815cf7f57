//! Mutations of text for the fuzz targets: syntax inserted, spans deleted
//! or repeated, truncation, moved lines.
use proptest::prelude::*;
use proptest::strategy::{BoxedStrategy, Just, Strategy};

/// Pieces of syntax that [`mutated`] inserts: delimiters of PromQL, Go
/// templates and YAML, escapes, control characters, Unicode.
#[rustfmt::skip]
const FRAGMENTS: &[&str] = &[
    "{", "}", "{{", "}}", "{{-", "-}}", "(", ")", "[", "]", "\"", "'", "`", "\\", ":", ": ", "- ",
    "\n", "\n  ", "  ", "#", "&a ", "*a", "!!str ", "!!binary ", "|", "|-\n", ">", ",", "=~", "!~",
    "=", "$", "$x", "@", " offset ", " by ", " on(", " group_left ", "/*", "*/", "\u{0}", "🙂",
    "\t", "---\n", "...\n", "%", "<<: ", "? ", "1e309", "-", "+", "0x", ".", "\r", "\u{feff}",
    " end ", " else ", " if ", " range ", "~", "null",
];

/// One edit of a text: where (a fraction of the length), what and how much.
#[derive(Clone, Debug)]
struct Edit {
    kind: u8,
    at: u16,
    len: u8,
    fragment: &'static str,
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        0u8..7,
        any::<u16>(),
        any::<u8>(),
        proptest::sample::select(FRAGMENTS),
    )
        .prop_map(|(kind, at, len, fragment)| Edit {
            kind,
            at,
            len,
            fragment,
        })
}

/// The char boundary nearest below `at`/65536 of the text.
fn position(text: &str, at: u16) -> usize {
    let mut i = text.len() * usize::from(at) / 65536;
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, e: &Edit) {
    let at = position(text, e.at);
    let span = {
        let mut end = (at + usize::from(e.len % 16) + 1).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        at..end
    };
    match e.kind {
        0 | 1 => text.insert_str(at, e.fragment),
        2 => text.replace_range(span, ""),
        3 => {
            let piece = text[span].to_owned();
            text.insert_str(at, &piece);
        }
        4 => text.truncate(at),
        5 => text.replace_range(span, e.fragment),
        _ => {
            // A line moved to the end (YAML structure, template blocks).
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
            let line = text[start..end].to_owned();
            text.replace_range(start..end, "");
            text.push_str(&line);
        }
    }
}

/// Texts of `valid`, half of them edited 1-3 times (inserted syntax,
/// deleted or repeated spans, truncation, moved lines).
pub fn mutated(valid: BoxedStrategy<String>) -> BoxedStrategy<String> {
    let edits = prop_oneof![Just(Vec::new()), proptest::collection::vec(edit(), 1..=3),];
    (valid, edits)
        .prop_map(|(mut text, edits)| {
            for e in &edits {
                apply(&mut text, e);
            }
            text
        })
        .boxed()
}

/// `text` nested `depth` times in `open`…`close`.
pub fn nested(text: &str, open: &str, close: &str, depth: usize) -> String {
    format!("{}{text}{}", open.repeat(depth), close.repeat(depth))
}
