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

fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(ChatError::invalid(field, "must not be empty"));
    }
    if trimmed.contains('\0') {
        return Err(ChatError::invalid(field, "must not contain NUL"));
    }
    if trimmed.chars().count() > max {
        return Err(ChatError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

/// Message content: 1–4000 characters after trimming, no NUL. Stored trimmed.
pub fn content(value: &str) -> Result<String> {
    text("content", value, MAX_CONTENT_CHARS)
}

/// Room name: 1–80 characters after trimming, no control characters. Stored trimmed.
pub fn room_name(value: &str) -> Result<String> {
    let name = text("name", value, MAX_NAME_CHARS)?;
    if name.chars().any(char::is_control) {
        return Err(ChatError::invalid(
            "name",
            "must not contain control characters",
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
