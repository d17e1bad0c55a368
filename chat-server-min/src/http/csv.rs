//! CSV as spreadsheets read it: RFC 4180 quoting, a chosen delimiter, and cells that a
//! spreadsheet would run as a formula neutralised.

/// The delimiters an export may use: `,` (RFC 4180) or `;` (spreadsheets in locales whose
/// decimal separator is a comma).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delimiter {
    /// `,`
    Comma,
    /// `;`
    Semicolon,
}

impl Delimiter {
    /// Its query-string name.
    pub fn name(self) -> &'static str {
        match self {
            Delimiter::Comma => "comma",
            Delimiter::Semicolon => "semicolon",
        }
    }

    fn char(self) -> char {
        match self {
            Delimiter::Comma => ',',
            Delimiter::Semicolon => ';',
        }
    }
}

/// The UTF-8 byte order mark: spreadsheets need it to read the file as UTF-8.
pub const BOM: &str = "\u{feff}";

/// Appends one record (cells joined by the delimiter, then CRLF) to `out`.
pub fn record<'a>(
    out: &mut String,
    delimiter: Delimiter,
    cells: impl IntoIterator<Item = &'a str>,
) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(delimiter.char());
        }
        push_cell(out, delimiter, cell);
    }
    out.push_str("\r\n");
}

/// One cell: a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'` in front (a
/// spreadsheet would otherwise evaluate it: CSV formula injection), then the cell is quoted
/// when it holds the delimiter, a quote, CR or LF, with quotes doubled (RFC 4180).
fn push_cell(out: &mut String, delimiter: Delimiter, cell: &str) {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = cell.contains([delimiter.char(), '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if risky {
        out.push('\'');
    }
    for c in cell.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(d: Delimiter, cells: &[&str]) -> String {
        let mut s = String::new();
        record(&mut s, d, cells.iter().copied());
        s
    }

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(line(Delimiter::Comma, &["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(
            line(Delimiter::Comma, &["a,b", "say \"hi\""]),
            "\"a,b\",\"say \"\"hi\"\"\"\r\n"
        );
        assert_eq!(
            line(Delimiter::Comma, &["two\nlines"]),
            "\"two\nlines\"\r\n"
        );
        assert_eq!(
            line(Delimiter::Semicolon, &["a,b", "c;d"]),
            "a,b;\"c;d\"\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised() {
        for (cell, want) in [
            ("=1+2", "'=1+2"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(line(Delimiter::Comma, &[cell]), format!("{want}\r\n"));
        }
        // Neutralised and quoted: the quote wraps the prefixed cell.
        assert_eq!(
            line(Delimiter::Comma, &["=HYPERLINK(\"x\",\"y\")"]),
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"\r\n"
        );
        assert_eq!(line(Delimiter::Comma, &["\rx"]), "\"'\rx\"\r\n");
    }
}
