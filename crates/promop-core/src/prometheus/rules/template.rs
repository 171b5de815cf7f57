//! Whether an alert's label or annotation parses as a Go template with
//! Prometheus' functions, the check `rulefmt` makes (parse only, nothing is
//! executed). This covers what breaks templates in practice: unclosed
//! actions, comments and strings, unknown functions, undeclared variables,
//! unbalanced `if`/`range`/`with`/`define`/`block` … `end`, a control
//! keyword without a value. Errors read like Go's (`<line>: <message>`).
use crate::select::reasons::RejectionKind;

/// Functions of Prometheus' template expander and of Go's text/template.
const FUNCTIONS: &[&str] = &[
    // Prometheus (template.NewTemplateExpander)
    "query",
    "first",
    "label",
    "value",
    "strvalue",
    "args",
    "reReplaceAll",
    "safeHtml",
    "match",
    "title",
    "toUpper",
    "toLower",
    "graphLink",
    "tableLink",
    "sortByLabel",
    "stripPort",
    "stripDomain",
    "humanize",
    "humanize1024",
    "humanizeDuration",
    "humanizePercentage",
    "humanizeTimestamp",
    "toTime",
    "toDuration",
    "now",
    "pathPrefix",
    "externalURL",
    "parseDuration",
    "urlQueryEscape",
    "tmpl",
    // text/template built-ins
    "and",
    "call",
    "html",
    "index",
    "slice",
    "js",
    "len",
    "not",
    "or",
    "print",
    "printf",
    "println",
    "urlquery",
    "eq",
    "ge",
    "gt",
    "le",
    "lt",
    "ne",
];

/// Variables `rulefmt` declares before the text.
const PREDECLARED: &[&str] = &["$", "$labels", "$externalLabels", "$externalURL", "$value"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Control {
    If,
    Range,
    With,
    Define,
    Block,
}

struct Checker<'a> {
    /// Open blocks with the number of variables declared before each.
    blocks: Vec<(Control, usize)>,
    vars: Vec<&'a str>,
}

/// Checks one template text.
pub fn check(text: &str) -> Result<(), RejectionKind> {
    let mut checker = Checker {
        blocks: Vec::new(),
        vars: PREDECLARED.to_vec(),
    };
    let mut rest = text;
    let mut line = 1;
    while let Some(start) = rest.find("{{") {
        line += rest[..start].matches('\n').count();
        let inner = &rest[start + 2..];
        let inner = inner.strip_prefix("- ").unwrap_or(inner);
        let (body, after) = split_action(inner).map_err(|e| e.context(&line.to_string()))?;
        if let Some(body) = body {
            checker
                .action(body)
                .map_err(|e| e.context(&line.to_string()))?;
            line += body.matches('\n').count();
        }
        rest = after;
    }
    match checker.blocks.last() {
        Some(_) => Err(format!("{line}: unexpected EOF").into()),
        None => Ok(()),
    }
}

/// The action's text up to its closing `}}` (quotes respected; `None` for
/// a comment), and what follows it.
fn split_action(s: &str) -> Result<(Option<&str>, &str), RejectionKind> {
    let trimmed = s.trim_start();
    if let Some(comment) = trimmed.strip_prefix("/*") {
        let end = comment.find("*/").ok_or("unclosed comment")?;
        let after = comment[end + 2..].trim_start_matches(' ');
        let after = after
            .strip_prefix("-")
            .map(str::trim_start)
            .unwrap_or(after);
        let after = after
            .strip_prefix("}}")
            .ok_or("comment ends before closing delimiter")?;
        return Ok((None, after));
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' | b'\'' => {
                let quote = bytes[i];
                i += 1;
                while i < bytes.len() && bytes[i] != quote {
                    if bytes[i] == b'\n' {
                        return Err("unterminated quoted string".into());
                    }
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    return Err("unterminated quoted string".into());
                }
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
                if i >= bytes.len() {
                    return Err("unterminated raw quoted string".into());
                }
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                let body = s[..i].strip_suffix(" -").unwrap_or(&s[..i]);
                return Ok((Some(body), &s[i + 2..]));
            }
            _ => {}
        }
        i += 1;
    }
    Err("unclosed action".into())
}

impl<'a> Checker<'a> {
    fn action(&mut self, body: &'a str) -> Result<(), RejectionKind> {
        let words = tokens(body)?;
        let Some(&first) = words.first() else {
            return Err("missing value for command".into());
        };
        let open = |kind| (kind, 0usize);
        let block = match first {
            "if" => Some(open(Control::If)),
            "range" => Some(open(Control::Range)),
            "with" => Some(open(Control::With)),
            "define" => Some(open(Control::Define)),
            "block" => Some(open(Control::Block)),
            _ => None,
        };
        if let Some((kind, _)) = block {
            if words.len() < 2 {
                return Err(format!("missing value for {first}").into());
            }
            self.blocks.push((kind, self.vars.len()));
            return self.pipeline(&words[1..]);
        }
        match first {
            "end" => {
                let (_, vars) = self.blocks.pop().ok_or("unexpected {{end}}")?;
                self.vars.truncate(vars);
                Ok(())
            }
            "else" => {
                let &(kind, vars) = self.blocks.last().ok_or("unexpected {{else}}")?;
                if !matches!(kind, Control::If | Control::Range | Control::With) {
                    return Err("unexpected {{else}}".into());
                }
                self.vars.truncate(vars);
                match words.get(1) {
                    Some(&"if") | Some(&"with") if words.len() > 2 => self.pipeline(&words[2..]),
                    Some(&"if") | Some(&"with") => {
                        Err(format!("missing value for {}", words[1]).into())
                    }
                    Some(_) => Err("unexpected token in else".into()),
                    None => Ok(()),
                }
            }
            "break" | "continue" => {
                if self.blocks.iter().any(|(k, _)| *k == Control::Range) {
                    Ok(())
                } else {
                    Err(format!("{{{{{first}}}}} outside {{{{range}}}}").into())
                }
            }
            "template" => self.pipeline(&words[1..]),
            _ => self.pipeline(&words),
        }
    }

    /// Declarations (`$x :=`), then every function and variable used.
    fn pipeline(&mut self, words: &[&'a str]) -> Result<(), RejectionKind> {
        let declared = match words.iter().position(|w| *w == ":=") {
            Some(i) => {
                let names: Vec<&str> = words[..i].iter().copied().filter(|w| *w != ",").collect();
                if names.is_empty() || !names.iter().all(|n| n.starts_with('$')) {
                    return Err("unexpected \":=\" in command".into());
                }
                self.use_words(&words[i + 1..])?;
                names
            }
            None => {
                self.use_words(words)?;
                Vec::new()
            }
        };
        self.vars.extend(declared);
        Ok(())
    }

    fn use_words(&self, words: &[&str]) -> Result<(), RejectionKind> {
        for word in words {
            let first = word.chars().next().unwrap_or(' ');
            if first == '$' {
                let name = word.split('.').next().unwrap_or(word);
                if !self.vars.contains(&name) {
                    return Err(format!("undefined variable {name:?}").into());
                }
            } else if first.is_alphabetic() || first == '_' {
                let name = word.split('.').next().unwrap_or(word);
                if !matches!(name, "true" | "false" | "nil") && !FUNCTIONS.contains(&name) {
                    return Err(format!("function {name:?} not defined").into());
                }
            }
        }
        Ok(())
    }
}

/// The words of an action: quoted strings, `|`, `(`, `)`, `,`, `:=`, `=`
/// and runs of anything else.
fn tokens(body: &str) -> Result<Vec<&str>, RejectionKind> {
    let mut out = Vec::new();
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'"' | b'\'' => {
                i += 1;
                while i < bytes.len() && bytes[i] != c {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'`' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'`' {
                    i += 1;
                }
                i += 1;
            }
            b'|' | b'(' | b')' | b',' | b'=' => i += 1,
            b':' if bytes.get(i + 1) == Some(&b'=') => i += 2,
            _ => {
                // A word ends at a separator, a quote or an assignment.
                let ends_word = |i: usize| {
                    matches!(
                        bytes[i],
                        b' ' | b'\t' | b'\n' | b'\r' | b'|' | b'(' | b')' | b','
                    ) || matches!(bytes[i], b'"' | b'`' | b'\'' | b'=')
                        || (bytes[i] == b':' && bytes.get(i + 1) == Some(&b'='))
                };
                i += 1;
                while i < bytes.len() && !ends_word(i) {
                    i += 1;
                }
            }
        }
        out.push(&body[start..i.min(body.len())]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::check;

    // Outcomes of Go's text/template parser with Prometheus' functions
    // (what `rulefmt` reports for an alert's labels and annotations).
    #[test]
    fn valid_templates() {
        for text in [
            "plain text",
            "{{ $labels.instance }} is down",
            "{{ $value | humanizePercentage }}",
            "{{- if gt $value 0.5 -}}high{{ else if gt $value 0.1 }}mid{{ else }}low{{ end }}",
            "{{ range $i, $e := query \"up\" }}{{ $e.Labels.job }}{{ end }}",
            "{{ with $x := $labels.a }}{{ $x }}{{ end }}",
            "{{/* a comment */}}",
            r#"{{ printf "%.2f" $value }} {{ "}}" }}"#,
            "{{ .Labels.job }} {{ $externalURL }}",
        ] {
            assert_eq!(check(text), Ok(()), "{text}");
        }
    }

    #[test]
    fn invalid_templates() {
        for (text, error) in [
            ("{{ $labels.instance }", "1: unclosed action"),
            (
                "{{ humanise $value }}",
                "1: function \"humanise\" not defined",
            ),
            ("{{ $lables.x }}", "1: undefined variable \"$lables\""),
            ("{{ if $value }}x", "1: unexpected EOF"),
            ("x\n{{ end }}", "2: unexpected {{end}}"),
            ("{{ if }}{{ end }}", "1: missing value for if"),
            ("{{/* open", "1: unclosed comment"),
            (
                "{{ with $x := 1 }}{{ end }}{{ $x }}",
                "1: undefined variable \"$x\"",
            ),
        ] {
            assert_eq!(check(text), Err(error.into()), "{text}");
        }
    }
}
