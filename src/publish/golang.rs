//! The few Go standard-library behaviours that the Docker CLI's port grammars inherit:
//! `strconv.ParseUint`/`ParseInt` error kinds, `strings.ToLower`, `net.SplitHostPort` on a
//! bracketed host, and reading one record with `encoding/csv`.
//!
//! Only parsing lives here; this module knows nothing about ports or Docker's messages.

use std::fmt;

/// Why Go's `strconv` rejected a number: the bare `NumError.Err` text Docker wraps with `%w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NumErrorKind {
    /// `invalid syntax`: empty, a sign where none is allowed, or a non-digit.
    Syntax,
    /// `value out of range`: all digits, but too large for the bit size.
    Range,
}

impl fmt::Display for NumErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NumErrorKind::Syntax => "invalid syntax",
            NumErrorKind::Range => "value out of range",
        })
    }
}

/// `strconv.ParseUint(s, 10, 16)`: ASCII digits only, no sign, no underscores. Like Go, an
/// overflow is reported as soon as it happens, even if a non-digit follows.
pub fn parse_uint16(s: &str) -> Result<u16, NumErrorKind> {
    if s.is_empty() {
        return Err(NumErrorKind::Syntax);
    }
    let mut n: u32 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(NumErrorKind::Syntax);
        }
        n = n * 10 + u32::from(b - b'0');
        if n > u32::from(u16::MAX) {
            return Err(NumErrorKind::Range);
        }
    }
    Ok(n as u16)
}

/// `strconv.ParseInt(s, 10, 0)` restricted to the port range 0–65535, as go-connections'
/// `parsePortNumber` does: an optional `+`/`-` sign, then ASCII digits. `-0` is 0.
pub fn parse_port_number(s: &str) -> Option<u16> {
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Leading zeros are allowed, so skip them before checking the magnitude.
    let significant = digits.trim_start_matches('0');
    if significant.len() > 5 {
        return None;
    }
    let value: u32 = significant
        .bytes()
        .fold(0, |n, b| n * 10 + u32::from(b - b'0'));
    match (negative, value) {
        (_, 0) => Some(0),
        (true, _) => None,
        (false, v) if v <= u32::from(u16::MAX) => Some(v as u16),
        _ => None,
    }
}

/// Go's `strings.ToLower`: Unicode simple lower-case mapping, one rune to one rune. Rust's
/// full mapping differs only for U+0130 (Go maps it to `i`).
pub fn to_lower(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{130}' => 'i',
            c => c.to_lowercase().next().unwrap_or(c),
        })
        .collect()
}

/// Go's `\w` in RE2: ASCII letters, digits and `_`.
pub fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `net.SplitHostPort(ip + ":")` for an `ip` that starts with `[`: the host between the
/// brackets, or the Go `AddrError` text (`address <addr>: <why>`).
pub fn strip_brackets(ip: &str) -> Result<&str, String> {
    let hostport = format!("{ip}:");
    let addr_err = |why: &str| format!("address {hostport}: {why}");
    // The last colon is the one we appended.
    let last_colon = hostport.len() - 1;
    let Some(end) = hostport.find(']') else {
        return Err(addr_err("missing ']' in address"));
    };
    if end + 1 != last_colon {
        return Err(if hostport.as_bytes()[end + 1] == b':' {
            addr_err("too many colons in address")
        } else {
            addr_err("missing port in address")
        });
    }
    if hostport[1..].contains('[') {
        return Err(addr_err("unexpected '[' in address"));
    }
    if hostport[end + 1..].contains(']') {
        return Err(addr_err("unexpected ']' in address"));
    }
    Ok(&ip[1..end])
}

/// Reads the first record of `input` as Go's `csv.NewReader(..).Read()` does with default
/// settings (comma `,`, strict quotes, no comment character): empty lines before the record
/// are skipped, a quoted field may span lines, anything after the record is ignored. The
/// error is Go's `csv.ParseError` text.
pub fn read_csv_record(input: &str) -> Result<Vec<String>, String> {
    let mut lines = CsvLines::new(input);
    // Skip empty lines; end of input before any record is io.EOF.
    let mut line = loop {
        match lines.next() {
            None => return Err("EOF".to_owned()),
            Some(l) if l == "\n" || l.is_empty() => continue,
            Some(l) => break l,
        }
    };
    let rec_line = lines.number;
    let mut fields = Vec::new();
    let mut col = 1usize;
    loop {
        if !line.starts_with('"') {
            let (field, rest) = match line.find(',') {
                Some(i) => (&line[..i], Some(&line[i + 1..])),
                None => (line.strip_suffix('\n').unwrap_or(&line), None),
            };
            if let Some(j) = field.find('"') {
                return Err(parse_error(rec_line, lines.number, col + j, BARE_QUOTE));
            }
            fields.push(field.to_owned());
            match rest {
                Some(rest) => {
                    col += field.len() + 1;
                    line = rest.to_owned();
                }
                None => return Ok(fields),
            }
        } else {
            let mut field = String::new();
            line = line[1..].to_owned();
            col += 1;
            loop {
                if let Some(i) = line.find('"') {
                    field.push_str(&line[..i]);
                    let after = line[i + 1..].to_owned();
                    col += i + 1;
                    if let Some(rest) = after.strip_prefix('"') {
                        field.push('"');
                        line = rest.to_owned();
                        col += 1;
                    } else if let Some(rest) = after.strip_prefix(',') {
                        fields.push(field);
                        col += 1;
                        line = rest.to_owned();
                        break;
                    } else if after == "\n" || after.is_empty() {
                        fields.push(field);
                        return Ok(fields);
                    } else {
                        return Err(parse_error(rec_line, lines.number, col - 1, QUOTE));
                    }
                } else if !line.is_empty() {
                    field.push_str(&line);
                    col += line.len();
                    match lines.next() {
                        Some(next) => {
                            line = next;
                            col = 1;
                        }
                        None => {
                            return Err(parse_error(rec_line, lines.number, col, QUOTE));
                        }
                    }
                } else {
                    return Err(parse_error(rec_line, lines.number, col, QUOTE));
                }
            }
        }
    }
}

const BARE_QUOTE: &str = "bare \" in non-quoted field";
const QUOTE: &str = "extraneous or missing \" in quoted-field";

fn parse_error(start_line: usize, line: usize, column: usize, err: &str) -> String {
    if start_line != line {
        format!("record on line {start_line}; parse error on line {line}, column {column}: {err}")
    } else {
        format!("parse error on line {line}, column {column}: {err}")
    }
}

/// Lines as Go's csv `readLine` yields them: `\r\n` is normalised to `\n`, and a `\r` just
/// before the end of input is dropped.
struct CsvLines<'a> {
    rest: &'a str,
    number: usize,
}

impl<'a> CsvLines<'a> {
    fn new(input: &'a str) -> Self {
        CsvLines {
            rest: input,
            number: 0,
        }
    }

    fn next(&mut self) -> Option<String> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match self.rest.find('\n') {
            Some(i) => (&self.rest[..=i], &self.rest[i + 1..]),
            None => (self.rest, ""),
        };
        self.rest = rest;
        self.number += 1;
        let mut line = line.to_owned();
        if line.ends_with("\r\n") {
            line.truncate(line.len() - 2);
            line.push('\n');
        } else if !line.ends_with('\n') && line.ends_with('\r') {
            // Go drops a trailing \r before end of input.
            line.pop();
        }
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_uint16_matches_go() {
        assert_eq!(parse_uint16("80"), Ok(80));
        assert_eq!(parse_uint16("065535"), Ok(65535));
        assert_eq!(parse_uint16("65536"), Err(NumErrorKind::Range));
        assert_eq!(parse_uint16("70000x"), Err(NumErrorKind::Range));
        assert_eq!(parse_uint16("x70000"), Err(NumErrorKind::Syntax));
        assert_eq!(parse_uint16(""), Err(NumErrorKind::Syntax));
        assert_eq!(parse_uint16("+1"), Err(NumErrorKind::Syntax));
        assert_eq!(parse_uint16("1_0"), Err(NumErrorKind::Syntax));
    }

    #[test]
    fn parse_port_number_matches_go_connections() {
        assert_eq!(parse_port_number("+80"), Some(80));
        assert_eq!(parse_port_number("-0"), Some(0));
        assert_eq!(parse_port_number("-1"), None);
        assert_eq!(parse_port_number("0000000000080"), Some(80));
        assert_eq!(parse_port_number("65536"), None);
        assert_eq!(parse_port_number("99999999999999999999999"), None);
        assert_eq!(parse_port_number("+"), None);
        assert_eq!(parse_port_number(""), None);
    }

    #[test]
    fn split_host_port_brackets() {
        assert_eq!(strip_brackets("[::1]"), Ok("::1"));
        assert_eq!(strip_brackets("[]"), Ok(""));
        assert_eq!(
            strip_brackets("[::1"),
            Err("address [::1:: missing ']' in address".to_owned())
        );
        assert_eq!(
            strip_brackets("[::1]x"),
            Err("address [::1]x:: missing port in address".to_owned())
        );
        assert_eq!(
            strip_brackets("[::1]:"),
            Err("address [::1]::: too many colons in address".to_owned())
        );
        assert_eq!(
            strip_brackets("[[::1]"),
            Err("address [[::1]:: unexpected '[' in address".to_owned())
        );
    }

    #[test]
    fn csv_first_record() {
        assert_eq!(read_csv_record("a=1,b=2").unwrap(), ["a=1", "b=2"]);
        assert_eq!(read_csv_record("\n\na=1\r\nb=2").unwrap(), ["a=1"]);
        assert_eq!(read_csv_record("\"a,=1\",b").unwrap(), ["a,=1", "b"]);
        assert_eq!(read_csv_record("\"a\"\"b\"").unwrap(), ["a\"b"]);
        assert_eq!(read_csv_record("a=1,").unwrap(), ["a=1", ""]);
        assert_eq!(read_csv_record("\"a\nb\",c").unwrap(), ["a\nb", "c"]);
        assert_eq!(
            read_csv_record("a=1,b\"=2").unwrap_err(),
            "parse error on line 1, column 6: bare \" in non-quoted field"
        );
        assert_eq!(
            read_csv_record("\"a\"x=1").unwrap_err(),
            "parse error on line 1, column 3: extraneous or missing \" in quoted-field"
        );
        assert_eq!(
            read_csv_record("\"abc").unwrap_err(),
            "parse error on line 1, column 5: extraneous or missing \" in quoted-field"
        );
        assert_eq!(read_csv_record("\"a\"\r").unwrap(), ["a"]);
        assert_eq!(
            read_csv_record("\"a=1\nb").unwrap_err(),
            "record on line 1; parse error on line 2, column 2: extraneous or missing \" in quoted-field"
        );
    }

    #[test]
    fn lower_is_simple_mapping() {
        assert_eq!(to_lower("TCP"), "tcp");
        assert_eq!(to_lower("\u{130}"), "i");
    }
}
