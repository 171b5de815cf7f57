//! Printing a [`Node`] exactly like Go's yaml.v2 `Marshal` does: block
//! style, yaml.v2's choice of scalar style, and the layout rules of its
//! libyaml-derived emitter (indentation, line folding at width 80, escapes).
//!
//! The emitter keeps libyaml's small amount of cursor state (column, whether
//! the last thing written was whitespace or indentation) because the exact
//! output — where a space goes, where a line breaks — falls out of it.
use super::resolve::plain_reads_back_as_string;
use super::{Mapping, Node};

/// Columns after which libyaml folds a scalar at the next space.
const BEST_WIDTH: usize = 80;
const BEST_INDENT: i32 = 2;
/// Keys longer than this (in bytes) become explicit `? key` entries.
const MAX_SIMPLE_KEY_LEN: usize = 128;

/// The document as yaml.v2 would print it.
pub fn to_string(node: &Node) -> String {
    let mut emitter = Emitter::default();
    emitter.node(node, Context::default());
    // The implicit document end moves to a fresh line.
    emitter.write_indent();
    emitter.out
}

/// The items of a sequence as [`to_string`] prints them in a block
/// sequence at the top level, or as the value of a top-level key: `- …`
/// lines, each item ending with a line break (empty for no item).
pub fn sequence_to_string(items: &[Node]) -> String {
    let mut out = String::new();
    push_sequence(&mut out, items);
    out
}

/// [`sequence_to_string`] appended to `out`, which is empty or ends with a
/// line break: many sequences join into one text without a copy each.
pub fn push_sequence(out: &mut String, items: &[Node]) {
    if items.is_empty() {
        return;
    }
    let mut emitter = Emitter {
        out: std::mem::take(out),
        ..Emitter::default()
    };
    emitter.sequence(items, Context::default());
    emitter.write_indent();
    *out = emitter.out;
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

/// Where a node sits: as a mapping key or value, or elsewhere.
#[derive(Clone, Copy, Default)]
struct Context {
    mapping: bool,
    simple_key: bool,
    flow: bool,
}

struct Emitter {
    out: String,
    /// Characters (not bytes) written on the current line.
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    /// The last character written was whitespace (no separating space needed).
    whitespace: bool,
    /// Only indentation (and '-'/'?'/':' indicators) so far on this line.
    indention: bool,
}

impl Default for Emitter {
    fn default() -> Self {
        Self {
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
        }
    }
}

impl Emitter {
    fn node(&mut self, node: &Node, ctx: Context) {
        match node {
            Node::Null => self.scalar("null", Style::Plain, ctx),
            Node::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
            Node::Int(i) => self.scalar(&i.to_string(), Style::Plain, ctx),
            Node::Float(f) => self.scalar(&go_float(*f), Style::Plain, ctx),
            Node::Str(s) => self.scalar(s, string_style(s), ctx),
            Node::Seq(items) if items.is_empty() => self.empty_flow("[", "]"),
            Node::Seq(items) => self.sequence(items, ctx),
            Node::FlowSeq(items) if items.is_empty() => self.empty_flow("[", "]"),
            Node::FlowSeq(items) => self.flow_sequence(items),
            Node::Map(map) if map.is_empty() => self.empty_flow("{", "}"),
            Node::Map(map) => self.mapping(map),
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn sequence(&mut self, items: &[Node], ctx: Context) {
        // A sequence that is a mapping value is not indented ("key:\n- a").
        let indentless = ctx.mapping && !self.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.write_indent();
            self.write_indicator("-", true, false, true);
            self.node(item, Context::default());
        }
        self.pop_indent();
    }

    /// libyaml's flow sequence: `[`, items separated by `, `, a line break
    /// before an item that would start past the best width, `]`.
    fn flow_sequence(&mut self, items: &[Node]) {
        self.write_indicator("[", true, true, false);
        self.increase_indent(true, false);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.write_indicator(",", false, false, false);
            }
            if self.column > BEST_WIDTH {
                self.write_indent();
            }
            let ctx = Context {
                flow: true,
                ..Context::default()
            };
            match item {
                Node::Str(s) => self.scalar(s, string_style(s), ctx),
                other => self.node(other, ctx),
            }
        }
        self.pop_indent();
        self.write_indicator("]", false, false, false);
    }

    fn mapping(&mut self, map: &Mapping) {
        self.increase_indent(false, false);
        for (key, value) in map.iter() {
            self.write_indent();
            let value_ctx = Context {
                mapping: true,
                ..Context::default()
            };
            if key.len() <= MAX_SIMPLE_KEY_LEN && !analyze(key).multiline {
                self.scalar(
                    key,
                    string_style(key),
                    Context {
                        mapping: true,
                        simple_key: true,
                        flow: false,
                    },
                );
                self.write_indicator(":", false, false, false);
            } else {
                self.write_indicator("?", true, false, true);
                self.scalar(key, string_style(key), value_ctx);
                self.write_indent();
                self.write_indicator(":", true, false, true);
            }
            self.node(value, value_ctx);
        }
        self.pop_indent();
    }

    /// Writes a scalar in `requested` style, or the one libyaml falls back
    /// to when the text does not allow it in this place.
    fn scalar(&mut self, text: &str, requested: Style, ctx: Context) {
        let analysis = analyze(text);
        let mut style = requested;
        if ctx.simple_key && analysis.multiline {
            style = Style::DoubleQuoted;
        }
        let plain_allowed = if ctx.flow {
            analysis.flow_plain_allowed
        } else {
            analysis.plain_allowed
        };
        if style == Style::Plain && (!plain_allowed || (text.is_empty() && ctx.simple_key)) {
            style = Style::SingleQuoted;
        }
        if style == Style::SingleQuoted && !analysis.single_quoted_allowed {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!analysis.block_allowed || ctx.simple_key || ctx.flow) {
            style = Style::DoubleQuoted;
        }
        let allow_breaks = !ctx.simple_key;
        self.increase_indent(true, false);
        match style {
            Style::Plain => self.write_plain(text, allow_breaks),
            Style::SingleQuoted => self.write_single_quoted(text, allow_breaks),
            Style::DoubleQuoted => self.write_double_quoted(text, allow_breaks),
            Style::Literal => self.write_literal(text),
        }
        self.pop_indent();
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    /// Copies a line break from the text ('\n' the same way as put_break).
    fn write_break(&mut self, c: char) {
        self.out.push(c);
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = usize::try_from(self.indent).unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        indicator.chars().for_each(|c| self.put(c));
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn write_plain(&mut self, text: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        if !text.contains([' ', '\r', '\n', '\u{85}', '\u{2028}', '\u{2029}']) {
            // Nothing to fold or break: the loop below would copy it as is.
            self.out.push_str(text);
            self.column += text.chars().count();
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && chars.peek() != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single_quoted(&mut self, text: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut chars = text.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, c)| c);
            if c == ' ' {
                // Never fold at the first or last character: the fold would
                // eat a significant space.
                let inner = i > 0 && next.is_some();
                if allow_breaks && !spaces && self.column > BEST_WIDTH && inner && next != Some(' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double_quoted(&mut self, text: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        // libyaml tests for a byte order mark at the start of the whole
        // value rather than at each position, so such a value is escaped
        // entirely.
        let starts_with_bom = text.starts_with('\u{FEFF}');
        let mut spaces = false;
        let mut chars = text.chars().enumerate().peekable();
        while let Some((i, c)) = chars.next() {
            let next = chars.peek().map(|&(_, c)| c);
            if !is_printable(c) || starts_with_bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match escape(c) {
                    Some(e) => self.put(e),
                    None => {
                        let code = u32::from(c);
                        let (marker, digits) = match code {
                            0..=0xFF => ('x', 2),
                            0x100..=0xFFFF => ('u', 4),
                            _ => ('U', 8),
                        };
                        self.put(marker);
                        for k in (0..digits).rev() {
                            let digit = (code >> (4 * k)) & 0xF;
                            self.put(
                                char::from_digit(digit, 16)
                                    .unwrap_or('0')
                                    .to_ascii_uppercase(),
                            );
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && next.is_some() {
                    self.write_indent();
                    // A fold swallows the line's leading spaces; escape the
                    // next one to keep it.
                    if next == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, text: &str) {
        self.write_indicator("|", true, false, false);
        if text.starts_with(' ') || text.starts_with(is_break) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        // Chomping: '-' strips the missing final break, '+' keeps extra ones.
        let mut from_end = text.chars().rev();
        let chomp = match (from_end.next(), from_end.next()) {
            (Some(last), _) if !is_break(last) => Some("-"),
            (None, _) => Some("-"),
            (Some(_), None) => Some("+"),
            (Some(_), Some(before)) if is_break(before) => Some("+"),
            _ => None,
        };
        if let Some(chomp) = chomp {
            self.write_indicator(chomp, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in text.chars() {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// yaml.v2's choice for a string: literal when it has a newline, plain when
/// that reads back as the same string, double-quoted otherwise (the emitter
/// may still move away from plain or literal, see [`Emitter::scalar`]).
fn string_style(s: &str) -> Style {
    if s.contains('\n') {
        Style::Literal
    } else if plain_reads_back_as_string(s) {
        Style::Plain
    } else {
        Style::DoubleQuoted
    }
}

/// What libyaml's scalar analysis allows for a text in block context.
#[derive(Debug, PartialEq)]
struct Analysis {
    multiline: bool,
    plain_allowed: bool,
    /// Plain style inside a flow collection (no flow indicators).
    flow_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn analyze(text: &str) -> Analysis {
    if is_simple(text) {
        // Most names, labels and paths: every style is allowed.
        return Analysis {
            multiline: false,
            plain_allowed: true,
            flow_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: true,
        };
    }
    analyze_chars(text)
}

/// A non-empty ASCII text without whitespace, indicators or anything libyaml
/// would escape, which cannot start like a document marker (`---`, `...`)
/// or an indicator: [`analyze_chars`] finds nothing in it.
fn is_simple(text: &str) -> bool {
    let simple_first = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'/' | b'$' | b'(');
    let simple = |b: u8| simple_first(b) || matches!(b, b'.' | b'-' | b')' | b'+' | b'*' | b'\\');
    match text.as_bytes() {
        [first, rest @ ..] => simple_first(*first) && rest.iter().all(|&b| simple(b)),
        [] => false,
    }
}

fn analyze_chars(text: &str) -> Analysis {
    if text.is_empty() {
        return Analysis {
            multiline: false,
            plain_allowed: true,
            flow_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut indicators = text.starts_with("---") || text.starts_with("...");
    let mut flow_indicators = indicators;
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let mut chars = text.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let last = next.is_none();
        let followed_by_whitespace = next.is_none_or(is_blank);
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => (indicators, flow_indicators) = (true, true),
                '?' | ':' => {
                    flow_indicators = true;
                    indicators |= followed_by_whitespace;
                }
                '-' if followed_by_whitespace => (indicators, flow_indicators) = (true, true),
                _ => {}
            }
        } else {
            match c {
                ',' | '?' | '[' | ']' | '{' | '}' => flow_indicators = true,
                ':' => {
                    flow_indicators = true;
                    indicators |= followed_by_whitespace;
                }
                '#' if preceded_by_whitespace => (indicators, flow_indicators) = (true, true),
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blank(c) || is_break(c) || c == '\0';
        first = false;
    }
    let edge_whitespace = leading_space || leading_break || trailing_space || trailing_break;
    let plain_blocked = edge_whitespace || break_space || space_break || special || line_breaks;
    Analysis {
        multiline: line_breaks,
        plain_allowed: !(plain_blocked || indicators),
        flow_plain_allowed: !(plain_blocked || flow_indicators),
        single_quoted_allowed: !(break_space || space_break || special),
        block_allowed: !(trailing_space || space_break || special),
    }
}

/// libyaml's printable set: tabs, other C0/C1 controls, surrogates,
/// U+FEFF, U+FFFE/U+FFFF and everything beyond the BMP are escaped.
fn is_printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        && c != '\u{FEFF}'
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn escape(c: char) -> Option<char> {
    Some(match c {
        '\0' => '0',
        '\u{7}' => 'a',
        '\u{8}' => 'b',
        '\t' => 't',
        '\n' => 'n',
        '\u{B}' => 'v',
        '\u{C}' => 'f',
        '\r' => 'r',
        '\u{1B}' => 'e',
        '"' => '"',
        '\\' => '\\',
        '\u{85}' => 'N',
        '\u{A0}' => '_',
        '\u{2028}' => 'L',
        '\u{2029}' => 'P',
        _ => return None,
    })
}

/// Go's `strconv.FormatFloat(f, 'g', -1, 64)` with yaml.v2's spellings of
/// the special values: shortest digits, exponent form below 1e-4 or from
/// 1e6 on ("1e+06", at least two exponent digits).
pub(crate) fn go_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    let formatted = shortest_digits(f);
    let (mantissa, exponent) = formatted.split_once('e').unwrap_or((&formatted, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..6).contains(&exponent) {
        let (head, tail) = digits.split_at(1);
        let dot = if tail.is_empty() { "" } else { "." };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{head}{dot}{tail}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        );
    }
    // Digits before the decimal point.
    let point = exponent + 1;
    let len = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point >= len {
        format!("{digits}{}", "0".repeat((point - len) as usize))
    } else {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    };
    format!("{sign}{body}")
}

/// The shortest digits that read back as `f`, in `{:e}` form ("-1.25e-7").
/// Rust's shortest form settles a tie between two equally short and equally
/// close candidates differently from Go, which rounds the exact value half to
/// even; Rust's fixed-precision formatting does the latter.
fn shortest_digits(f: f64) -> String {
    let shortest = format!("{f:e}");
    let mantissa = shortest
        .split_once('e')
        .map_or(shortest.as_str(), |(m, _)| m);
    let count = mantissa.chars().filter(char::is_ascii_digit).count();
    let rounded = format!("{f:.*e}", count.saturating_sub(1));
    if rounded.parse::<f64>() == Ok(f) {
        rounded
    } else {
        shortest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_texts_analyze_like_any_other() {
        let printable: Vec<char> = (' '..='~').collect();
        let few = [
            'a', '0', '-', '.', ' ', ':', '#', '(', '\\', '\'', '\t', 'é',
        ];
        let mut texts: Vec<String> = printable.iter().map(char::to_string).collect();
        for &a in &printable {
            texts.extend(printable.iter().map(|&b| format!("{a}{b}")));
        }
        for a in few {
            for b in few {
                texts.extend(few.iter().map(|&c| format!("{a}{b}{c}")));
            }
        }
        texts.extend(
            [
                "---x",
                "...x",
                "a-b",
                "__meta_kubernetes_pod_label_(.+)",
                "$1",
            ]
            .map(String::from),
        );
        for text in texts.iter().filter(|t| is_simple(t)) {
            assert_eq!(analyze(text), analyze_chars(text), "{text:?}");
        }
    }
}
