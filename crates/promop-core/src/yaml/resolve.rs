//! Which strings yaml.v2 may print plain: a plain scalar is read back by
//! yaml.v2's resolver, so a string that would resolve to a bool, int, float,
//! null, timestamp or merge key must be quoted instead. The rules below
//! reproduce that resolver (YAML 1.1 flavoured, with Go's `strconv` and
//! `time.Parse` underneath) closely enough to agree on every string.

/// Whether yaml.v2 would read `s`, written plain, back as the same string
/// (and `s` is no YAML 1.1 base-60 float, which yaml.v2 also quotes).
pub(super) fn plain_reads_back_as_string(s: &str) -> bool {
    resolves_to_string(s) && !is_base60_float(s)
}

fn resolves_to_string(s: &str) -> bool {
    // yaml.v2 only looks further at texts whose first byte hints at a
    // non-string; everything else is a string at once.
    let Some(&first) = s.as_bytes().first() else {
        return false; // "" is null
    };
    let numeric = match first {
        b'+' | b'-' | b'0'..=b'9' => true,
        b'.' | b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => false,
        _ => return true,
    };
    if KEYWORDS.contains(&s) {
        return false;
    }
    if first == b'.' {
        return go_float(s).is_none();
    }
    if !numeric {
        return true;
    }
    if is_timestamp(s) {
        return false;
    }
    // yaml.v2 drops every underscore before trying numbers.
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    if go_int(&plain, 0).is_some() || go_uint(&plain, 0).is_some() {
        return false;
    }
    if is_yaml_style_float(&plain) && go_float(&plain).is_some() {
        return false;
    }
    if let Some(rest) = plain.strip_prefix("0b") {
        return go_int(rest, 2).is_none() && go_uint(rest, 2).is_none();
    }
    if let Some(rest) = plain.strip_prefix("-0b") {
        return go_int(&format!("-{rest}"), 2).is_none();
    }
    true
}

/// yaml.v2's table of YAML 1.1 bools, nulls and special floats.
const KEYWORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", //
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", //
    "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", //
    "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
];

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits_or_underscores = |i: &mut usize| {
        while *i < b.len() && (b[*i].is_ascii_digit() || b[*i] == b'_') {
            *i += 1;
        }
    };
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    digits_or_underscores(&mut i);
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        match (b.get(i), b.get(i + 1)) {
            (Some(b'0'..=b'5'), Some(b'0'..=b'9')) => i += 2,
            (Some(b'0'..=b'9'), _) => i += 1,
            _ => return false,
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        digits_or_underscores(&mut i);
    }
    i == b.len()
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseUint(s, base, 64)` (base 0 reads a 0b/0o/0x/0 prefix).
fn go_uint(s: &str, base: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (radix, digits) = if base == 0 {
        let b = s.as_bytes();
        if b[0] != b'0' {
            (10, s)
        } else if b.len() >= 3 {
            match b[1].to_ascii_lowercase() {
                b'b' => (2, &s[2..]),
                b'o' => (8, &s[2..]),
                b'x' => (16, &s[2..]),
                _ => (8, &s[1..]),
            }
        } else {
            (8, &s[1..])
        }
    } else {
        (base, s)
    };
    // Go accepts the bare "0" (octal prefix, no digits) as zero.
    digits.chars().try_fold(0u64, |n, c| {
        let d = c.to_digit(radix)?;
        n.checked_mul(u64::from(radix))?.checked_add(u64::from(d))
    })
}

/// Go's `strconv.ParseInt(s, base, 64)`.
fn go_int(s: &str, base: u32) -> Option<i64> {
    let (negative, magnitude) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let n = go_uint(magnitude, base)?;
    if negative {
        0i64.checked_sub_unsigned(n)
    } else {
        i64::try_from(n).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for the decimal texts that reach it
/// here (they start with '.', or passed the YAML float pattern): `None` on
/// a syntax error or when the value overflows to infinity.
fn go_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let (mut saw_dot, mut saw_digits, mut underscores) = (false, false, false);
    while let Some(&c) = b.get(i) {
        match c {
            b'_' => underscores = true,
            b'.' if !saw_dot => saw_dot = true,
            b'0'..=b'9' => saw_digits = true,
            _ => break,
        }
        i += 1;
    }
    if !saw_digits {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&c) = b.get(i) {
            match c {
                b'_' => underscores = true,
                b'0'..=b'9' => {}
                _ => break,
            }
            i += 1;
        }
    }
    if i != b.len() || (underscores && !underscores_ok(s)) {
        return None;
    }
    let text: String = s.chars().filter(|&c| c != '_').collect();
    text.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// Go's rule for digit separators: each underscore sits between digits.
fn underscores_ok(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    // 'd' after a digit, '_' after an underscore, '^' at the start, '!' otherwise.
    let mut last = '^';
    for c in s.chars() {
        last = match c {
            '0'..='9' => 'd',
            '_' if last == 'd' => '_',
            '_' => return false,
            _ if last == '_' => return false,
            _ => '!',
        };
    }
    last != '_'
}

/// yaml.v2 reads texts starting with "YYYY-" in these `time.Parse`
/// layouts as timestamps: "2006-1-2T15:4:5.999999999Z07:00" (also with a
/// lower-case 't'), "2006-1-2 15:4:5.999999999" and "2006-1-2".
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let year_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if year_digits != 4 || b.get(4) != Some(&b'-') {
        return false;
    }
    let Some((date, rest)) = parse_date(b) else {
        return false;
    };
    if !date_is_valid(date) {
        return false;
    }
    if rest.is_empty() {
        return true;
    }
    match rest[0] {
        b'T' | b't' => parse_clock(&rest[1..])
            .is_some_and(|rest| parse_zone(rest).is_some_and(<[u8]>::is_empty)),
        b' ' => {
            // A space in a Go layout matches any run of spaces.
            let start = rest.iter().take_while(|&&c| c == b' ').count();
            parse_clock(&rest[start..]).is_some_and(<[u8]>::is_empty)
        }
        _ => false,
    }
}

/// Go's `getnum`: one or two digits.
fn number(b: &[u8]) -> Option<(u32, &[u8])> {
    let first = *b.first().filter(|c| c.is_ascii_digit())?;
    let first = u32::from(first - b'0');
    match b.get(1) {
        Some(&c) if c.is_ascii_digit() => Some((first * 10 + u32::from(c - b'0'), &b[2..])),
        _ => Some((first, &b[1..])),
    }
}

fn expect(b: &[u8], c: u8) -> Option<&[u8]> {
    b.strip_prefix(&[c])
}

/// Year, month, day.
type Date = (u32, u32, u32);

fn parse_date(b: &[u8]) -> Option<(Date, &[u8])> {
    let year = std::str::from_utf8(&b[..4]).ok()?.parse().ok()?;
    let (month, rest) = number(expect(&b[4..], b'-')?)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let (day, rest) = number(expect(rest, b'-')?)?;
    Some(((year, month, day), rest))
}

fn date_is_valid((year, month, day): Date) -> bool {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (1..=days).contains(&day)
}

/// "15:4:5" with an optional fraction (".999999999", Go also takes ',').
fn parse_clock(b: &[u8]) -> Option<&[u8]> {
    let (hour, rest) = number(b)?;
    let (minute, rest) = number(expect(rest, b':')?)?;
    let (second, rest) = number(expect(rest, b':')?)?;
    if hour >= 24 || minute >= 60 || second >= 60 {
        return None;
    }
    match rest {
        [b'.' | b',', d, ..] if d.is_ascii_digit() => {
            let digits = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            Some(&rest[1 + digits..])
        }
        _ => Some(rest),
    }
}

/// "Z07:00": either 'Z' or a "±hh:mm" offset.
fn parse_zone(b: &[u8]) -> Option<&[u8]> {
    if let Some(rest) = expect(b, b'Z') {
        return Some(rest);
    }
    if b.len() < 6 || b[3] != b':' || !matches!(b[0], b'+' | b'-') {
        return None;
    }
    let two_digits = |d: &[u8]| match d {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        }
        _ => None,
    };
    let hours = two_digits(&b[1..3])?;
    let minutes = two_digits(&b[4..6])?;
    (hours <= 24 && minutes <= 60).then_some(&b[6..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_number_parsing_edges() {
        // strconv.ParseInt(_, 0, 64) quirks yaml.v2 inherits.
        assert_eq!(go_int("0", 0), Some(0));
        assert_eq!(go_int("0x", 0), None);
        assert_eq!(go_int("017", 0), Some(15));
        assert_eq!(go_int("-9223372036854775808", 0), Some(i64::MIN));
        assert_eq!(go_int("9223372036854775808", 0), None);
        assert_eq!(go_uint("18446744073709551615", 0), Some(u64::MAX));
        assert_eq!(go_float(".5_5"), Some(0.55));
        assert_eq!(go_float("._5"), None);
        assert_eq!(go_float(".1e400"), None);
    }
}
