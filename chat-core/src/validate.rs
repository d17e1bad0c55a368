//! Input rules of the contract, checked before any policy decision or store access.
//!
//! Each function either returns the normalized value or a [`ChatError::Validation`] naming
//! the field, so nothing invalid ever reaches a store.

use crate::error::{ChatError, FieldError, Result};
use crate::ids::UserId;

/// Longest message, in Unicode scalar values after trimming.
pub const MAX_CONTENT_CHARS: usize = 4000;
/// Longest room name, in Unicode scalar values after trimming.
pub const MAX_NAME_CHARS: usize = 80;
/// Most user ids in one `member_ids`, `user_ids` or `mentions` list.
pub const MAX_IDS: usize = 100;
/// Longest `client_id`, in bytes.
pub const MAX_CLIENT_ID_LEN: usize = 128;
/// Page size when none is given.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size.
pub const MAX_LIMIT: u32 = 100;

/// What valid text is, for messages and room names alike: after trimming, 1 to `max`
/// Unicode scalar values, at least one of them visible (a message of zero-width spaces or
/// fillers looks empty and is refused like an empty one), and no control character but line
/// breaks and tabs (NUL included: it truncates C strings in every tool downstream).
fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ChatError::invalid(field, "must not be empty"));
    }
    if trimmed.contains('\0') {
        return Err(ChatError::invalid(field, "must not contain NUL"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(ChatError::invalid(
            field,
            "must not contain control characters other than line breaks and tabs",
        ));
    }
    if trimmed.chars().all(is_invisible) {
        return Err(ChatError::invalid(
            field,
            "must contain a visible character",
        ));
    }
    if trimmed.chars().count() > max {
        return Err(ChatError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Whether `c` shows nothing by itself: white space, and the characters Unicode marks as
/// ignorable in display (zero-width spaces and joiners, bidi marks, variation selectors, tags,
/// the soft hyphen, the BOM) plus the blank fillers that render as an empty cell (Hangul
/// fillers, the braille blank) — the usual ways of sending a message that looks empty.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}'
            | '\u{17B5}' | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}')
}

/// Bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Message content: valid text (see `text`) of 1–4000 characters, stored trimmed. The bidi
/// overrides U+202D and U+202E are refused — they exist to display text in an order other
/// than the one it is stored in, the trick of spoofed file names and "Trojan source" — while
/// the marks, embeddings and isolates that right-to-left writers use are kept.
pub fn content(value: &str) -> Result<String> {
    let content = text("content", value, MAX_CONTENT_CHARS)?;
    if content.contains(['\u{202D}', '\u{202E}']) {
        return Err(ChatError::invalid(
            "content",
            "must not contain bidirectional override characters",
        ));
    }
    Ok(content)
}

/// Room name: valid text (see `text`) of 1–80 characters on one line, without bidi
/// embeddings, overrides or isolates (a name is shown among others in lists, where such a
/// character would reorder what follows it; clients isolate names themselves). Stored
/// trimmed.
pub fn room_name(value: &str) -> Result<String> {
    let name = text("name", value, MAX_NAME_CHARS)?;
    if name.chars().any(char::is_control) {
        return Err(ChatError::invalid(
            "name",
            "must not contain control characters",
        ));
    }
    if name.chars().any(is_bidi_control) {
        return Err(ChatError::invalid(
            "name",
            "must not contain bidirectional control characters",
        ));
    }
    Ok(name)
}

/// A list of user ids: at most 100, positive; duplicates are dropped (order kept).
pub fn user_ids(field: &str, ids: &[UserId]) -> Result<Vec<UserId>> {
    if ids.len() > MAX_IDS {
        return Err(ChatError::invalid(field, format!("at most {MAX_IDS} ids")));
    }
    let mut errors = Vec::new();
    let mut out: Vec<UserId> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if id.0 <= 0 {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "must be a positive id",
            ));
        } else if !out.contains(id) {
            out.push(*id);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ChatError::Validation(errors))
    }
}

/// `client_id`: 1–128 bytes of visible ASCII — an idempotency key, not text.
pub fn client_id(value: &str) -> Result<String> {
    if value.is_empty() || value.len() > MAX_CLIENT_ID_LEN {
        return Err(ChatError::invalid(
            "client_id",
            format!("1 to {MAX_CLIENT_ID_LEN} characters"),
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ChatError::invalid(
            "client_id",
            "visible ASCII characters only",
        ));
    }
    Ok(value.to_owned())
}

/// Page size: 1–100, default 50.
pub fn limit(value: Option<u32>) -> Result<u32> {
    match value {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(ChatError::invalid(
            "limit",
            format!("must be 1 to {MAX_LIMIT}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_trimmed_and_bounded_in_scalar_values() {
        assert_eq!(content("  hi \n").unwrap(), "hi");
        assert!(content("   ").is_err());
        assert!(content("a\0b").is_err());
        assert!(content(&"é".repeat(4000)).is_ok());
        assert!(content(&"é".repeat(4001)).is_err());
        assert!(content(&"😀".repeat(4000)).is_ok());
    }

    #[test]
    fn text_needs_a_visible_character_and_no_stray_controls() {
        assert_eq!(
            content("linha 1\r\n\tlinha 2").unwrap(),
            "linha 1\r\n\tlinha 2"
        );
        for bad in [
            "a\u{7}b",
            "a\u{1b}[31mred",
            "a\u{7f}",
            "a\u{85}b",
            "\u{200B}\u{200B}",
            "\u{2800}",
            "\u{3164}\u{FEFF}",
            " \u{00AD} ",
            "\u{E0041}",
        ] {
            assert!(content(bad).is_err(), "{bad:?}");
            assert!(room_name(bad).is_err(), "{bad:?}");
        }
        assert!(
            content("ok\u{200B}").is_ok(),
            "invisible characters beside visible ones"
        );
        assert!(content("👍").is_ok());
    }

    #[test]
    fn bidi_overrides_are_refused_and_rtl_text_kept() {
        assert!(content("invoice\u{202E}fdp.exe").is_err());
        assert!(content("\u{202D}abc").is_err());
        assert_eq!(
            content("שלום \u{2067}world\u{2069}").unwrap(),
            "שלום \u{2067}world\u{2069}"
        );
        assert!(content("مرحبا \u{200F}").is_ok());
        assert!(room_name("Sala\u{2067}x\u{2069}").is_err());
        assert!(room_name("Sala\u{202E}").is_err());
        assert!(room_name("דסק").is_ok());
    }

    #[test]
    fn names_reject_control_characters() {
        assert_eq!(room_name(" Suporte Interno ").unwrap(), "Suporte Interno");
        assert!(room_name("a\u{7}b").is_err());
        assert!(room_name(&"x".repeat(81)).is_err());
    }

    #[test]
    fn ids_are_deduplicated_and_checked() {
        let ids = user_ids("member_ids", &[UserId(3), UserId(3), UserId(4)]).unwrap();
        assert_eq!(ids, vec![UserId(3), UserId(4)]);
        let err = user_ids("member_ids", &[UserId(1), UserId(0)]).unwrap_err();
        assert!(err.to_string().contains("member_ids[1]"));
        assert!(user_ids("member_ids", &vec![UserId(1); 101]).is_err());
    }

    #[test]
    fn limits() {
        assert_eq!(limit(None).unwrap(), 50);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(101)).is_err());
        assert_eq!(limit(Some(100)).unwrap(), 100);
    }

    #[test]
    fn client_ids() {
        assert!(client_id("abc-123").is_ok());
        assert!(client_id("").is_err());
        assert!(client_id("has space").is_err());
        assert!(client_id(&"x".repeat(129)).is_err());
    }
}
