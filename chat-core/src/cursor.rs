//! Opaque keyset cursors.
//!
//! A cursor names a position in one list (its `kind`) for one scope (the room, the user, the
//! account) so that a cursor from another list, room or tenant is refused as a validation
//! error rather than silently paging something else. It carries a checksum so that a
//! truncated or hand-edited cursor is refused too. Cursors are positions, not capabilities:
//! authorization is always decided again for the page they ask for.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{ChatError, Result};

/// FNV-1a, 32 bits: detects accidental or casual tampering, nothing more.
fn checksum(data: &str) -> u32 {
    data.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Encodes `position` for the list `kind` within `scope`.
pub fn encode(kind: &str, scope: &str, position: &str) -> String {
    let body = format!("{kind}|{scope}|{position}");
    let sum = checksum(&body);
    URL_SAFE_NO_PAD.encode(format!("{body}|{sum:08x}"))
}

/// Decodes a cursor, requiring the same `kind` and `scope`; returns the position.
pub fn decode(cursor: &str, kind: &str, scope: &str) -> Result<String> {
    let bad = || ChatError::invalid("cursor", "malformed or foreign cursor");
    if cursor.len() > 512 {
        return Err(bad());
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (body, sum) = text.rsplit_once('|').ok_or_else(bad)?;
    if format!("{:08x}", checksum(body)) != sum {
        return Err(bad());
    }
    let mut parts = body.splitn(3, '|');
    let (k, s, p) = (parts.next(), parts.next(), parts.next());
    match (k, s, p) {
        (Some(k), Some(s), Some(p)) if k == kind && s == scope => Ok(p.to_owned()),
        _ => Err(bad()),
    }
}

/// Parses an integer position, as a validation error on failure.
pub fn int(position: &str) -> Result<i64> {
    position
        .parse()
        .map_err(|_| ChatError::invalid("cursor", "malformed or foreign cursor"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let c = encode("msg", "room-1", "42");
        assert_eq!(decode(&c, "msg", "room-1").unwrap(), "42");
    }

    #[test]
    fn foreign_scope_or_kind_is_refused() {
        let c = encode("msg", "room-1", "42");
        assert!(decode(&c, "msg", "room-2").is_err());
        assert!(decode(&c, "audit", "room-1").is_err());
    }

    #[test]
    fn tampering_is_refused() {
        let c = encode("msg", "room-1", "42");
        let forged = URL_SAFE_NO_PAD.encode("msg|room-1|41|00000000");
        assert!(decode(&forged, "msg", "room-1").is_err());
        assert!(decode(&c[..c.len() - 2], "msg", "room-1").is_err());
        assert!(decode("!!!", "msg", "room-1").is_err());
        assert!(decode("", "msg", "room-1").is_err());
        assert!(decode(&"A".repeat(10_000), "msg", "room-1").is_err());
    }
}
