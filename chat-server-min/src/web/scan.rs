//! Finding the references between the web client's files, so their content-hashed names can
//! be written in: module specifiers in JavaScript, `@import`/`url()` in CSS, `src`/`href` in
//! HTML. Deliberately small: the files are the project's own, written to the rules of
//! `web/README.md` (relative specifiers ending in `.js`, `/assets/…` in pages), so a full
//! parser is not needed — but comments, strings and regular expressions are skipped, so a
//! `"*/*"` or an `import("…")` in a JSDoc type never confuses the scan.

use std::ops::Range;

/// Byte ranges (inside the quotes) of the relative module specifiers of a JavaScript module:
/// `import … from "…"`, `export … from "…"`, `import "…"` and `import("…")` with a literal.
/// Only specifiers starting with `./` or `../` are returned (bare and absolute ones are left
/// alone).
pub fn js_specifiers(src: &str) -> Vec<Range<usize>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    // The last significant byte before `i`, to tell a regular expression from a division.
    let mut prev: u8 = b'\n';
    // Whether the last word was `from` or `import` (possibly followed by `(`): a string
    // literal right after it is a specifier.
    let mut after_keyword = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = find_from(b, i, b"\n").unwrap_or(b.len());
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find_from(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                continue;
            }
            b'/' if starts_regex(prev) => {
                i = skip_regex(b, i);
                prev = b'a';
                after_keyword = false;
                continue;
            }
            b'"' | b'\'' | b'`' => {
                let end = skip_string(b, i);
                if after_keyword && c != b'`' {
                    let inner = (i + 1)..end.saturating_sub(1).max(i + 1);
                    let spec = &src[inner.clone()];
                    if spec.starts_with("./") || spec.starts_with("../") {
                        out.push(inner);
                    }
                }
                i = end;
                prev = b'"';
                after_keyword = false;
                continue;
            }
            c if c.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            c if is_word(c) => {
                let start = i;
                while i < b.len() && is_word(b[i]) {
                    i += 1;
                }
                let word = &b[start..i];
                let preceded_by_dot = start > 0 && b[start - 1] == b'.';
                after_keyword = !preceded_by_dot && (word == b"from" || word == b"import");
                prev = b'a';
                if word == b"return" || word == b"typeof" || word == b"case" {
                    // A regular expression may follow these words.
                    prev = b'(';
                }
                continue;
            }
            b'(' if after_keyword => {
                // `import(` keeps the keyword state for the literal that follows.
                i += 1;
                prev = b'(';
                continue;
            }
            _ => {
                after_keyword = false;
                prev = c;
                i += 1;
            }
        }
    }
    out
}

/// Byte ranges of the relative references of a stylesheet: `@import "…"` and `url(…)`
/// (quoted or not), comments skipped.
pub fn css_references(src: &str) -> Vec<Range<usize>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"/*") {
            i = find_from(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
            continue;
        }
        let rest = &b[i..];
        let value_at = if rest.starts_with(b"@import") {
            Some(i + "@import".len())
        } else if rest.len() >= 4 && rest[..4].eq_ignore_ascii_case(b"url(") {
            Some(i + 4)
        } else {
            None
        };
        let Some(mut j) = value_at else {
            if matches!(b[i], b'"' | b'\'') {
                i = skip_string(b, i);
            } else {
                i += 1;
            }
            continue;
        };
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if b[j..].len() >= 4 && b[j..j + 4].eq_ignore_ascii_case(b"url(") {
            i = j;
            continue;
        }
        let quoted = matches!(b.get(j), Some(b'"' | b'\''));
        let range = match b.get(j) {
            Some(q @ (b'"' | b'\'')) => {
                let end = find_from(b, j + 1, &[*q]).unwrap_or(b.len());
                (j + 1)..end
            }
            Some(_) => {
                let end = find_from(b, j, b")").unwrap_or(b.len());
                let mut e = end;
                while e > j && b[e - 1].is_ascii_whitespace() {
                    e -= 1;
                }
                j..e
            }
            None => break,
        };
        let spec = &src[range.clone()];
        if spec.starts_with("./") || spec.starts_with("../") {
            out.push(range.clone());
        }
        // Past the closing quote, so it is not taken for an opening one.
        i = (range.end + usize::from(quoted)).max(i + 1);
    }
    out
}

/// Byte ranges (inside the quotes) of `src="/assets/…"` and `href="/assets/…"` attribute
/// values of an HTML page.
pub fn html_asset_refs(src: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for attr in ["src=", "href="] {
        let mut from = 0;
        while let Some(pos) = src[from..].find(attr) {
            let value = from + pos + attr.len();
            from = value;
            let Some(q @ (b'"' | b'\'')) = src.as_bytes().get(value).copied() else {
                continue;
            };
            let start = value + 1;
            let Some(len) = src[start..].find(q as char) else {
                break;
            };
            if src[start..start + len].starts_with("/assets/") {
                out.push(start..start + len);
            }
        }
    }
    out.sort_by_key(|r| r.start);
    out
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

fn find_from(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A `/` starts a regular expression (not a division) after these.
fn starts_regex(prev: u8) -> bool {
    matches!(
        prev,
        b'(' | b',' | b'=' | b':' | b'[' | b'!' | b'&' | b'|' | b'?' | b'{' | b'}' | b';' | b'\n'
    )
}

/// The index after the string literal starting at `i` (its quote), escapes honoured.
fn skip_string(b: &[u8], i: usize) -> usize {
    let quote = b[i];
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            c if c == quote => return j + 1,
            b'\n' if quote != b'`' => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

/// The index after the regular expression literal starting at `i` (and its flags).
fn skip_regex(b: &[u8], i: usize) -> usize {
    let mut j = i + 1;
    let mut in_class = false;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            b'[' => {
                in_class = true;
                j += 1;
            }
            b']' => {
                in_class = false;
                j += 1;
            }
            b'/' if !in_class => {
                j += 1;
                while j < b.len() && b[j].is_ascii_alphabetic() {
                    j += 1;
                }
                return j;
            }
            b'\n' => return j,
            _ => j += 1,
        }
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn js(src: &str) -> Vec<&str> {
        js_specifiers(src).into_iter().map(|r| &src[r]).collect()
    }

    #[test]
    fn finds_static_dynamic_and_reexports() {
        let src = r#"
import a from "./a.js";
import { b, c } from '../lib/b.js';
import "./side.js";
export { d } from "./d.js";
export * from "./e.js";
const m = await import("./lazy.js");
import x from "bare-module";
import y from "/abs.js";
"#;
        assert_eq!(
            js(src),
            [
                "./a.js",
                "../lib/b.js",
                "./side.js",
                "./d.js",
                "./e.js",
                "./lazy.js"
            ]
        );
    }

    #[test]
    fn skips_comments_strings_and_regexes() {
        let src = r#"
/** @type {import("./types.js").Room} */
// import z from "./commented.js";
const accept = "*/*"; const s = "import('./not.js')";
const re = /["'](import)["']/g; const q = a / b / c;
const t = `from "./template.js"`;
import real from "./real.js";
obj.import("./method.js"); x.from("./also-method.js");
"#;
        assert_eq!(js(src), ["./real.js"]);
    }

    #[test]
    fn css_and_html() {
        let css = r#"/* url("./no.svg") */ @import "./theme.css"; @import url('./b.css');
.a { background: url(./img/x.svg) } .b { background: url("data:image/png;base64,AA") }"#;
        let found: Vec<&str> = css_references(css).into_iter().map(|r| &css[r]).collect();
        assert_eq!(found, ["./theme.css", "./b.css", "./img/x.svg"]);
        let html = r#"<link rel="stylesheet" href="/assets/styles/chat.css"><script type="module" src='/assets/chat/main.js'></script><a href="https://x/">x</a>"#;
        let found: Vec<&str> = html_asset_refs(html)
            .into_iter()
            .map(|r| &html[r])
            .collect();
        assert_eq!(found, ["/assets/styles/chat.css", "/assets/chat/main.js"]);
    }
}
