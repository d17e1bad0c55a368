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
use crate::ids::Timestamp;
use crate::model::Page;
use crate::store::{AuditPosition, DirectoryPosition, NotificationPosition, RoomPosition, Window};

/// FNV-1a, 32 bits: detects accidental or casual tampering, nothing more.
pub(crate) fn checksum(data: &str) -> u32 {
    data.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The one refusal of every cursor that is not a position of the list asked for.
fn malformed() -> ChatError {
    ChatError::invalid("cursor", "malformed or foreign cursor")
}

/// A keyset position a cursor can carry: written as text, read back exactly.
pub(crate) trait Position: Sized {
    /// The position as cursor text.
    fn write(&self) -> String;
    /// The position from cursor text; `None` if it is not one.
    fn read(text: &str) -> Option<Self>;
}

impl Position for i64 {
    fn write(&self) -> String {
        self.to_string()
    }
    fn read(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

/// A message page's window: older than a `seq` (written as the bare number, the v1 form, so
/// a v1 cursor still reads), or newer than one (`a:` and the number).
impl Position for Window {
    fn write(&self) -> String {
        match self {
            Window::Before(Some(seq)) => seq.to_string(),
            Window::Before(None) => String::new(),
            Window::After(seq) => format!("a:{seq}"),
        }
    }
    fn read(text: &str) -> Option<Self> {
        match text.strip_prefix("a:") {
            Some(after) => after.parse().ok().map(Window::After),
            None => text.parse().ok().map(|seq| Window::Before(Some(seq))),
        }
    }
}

/// `(time, id)`: the position of lists ordered by a time, ties broken by id.
fn write_pair(at: Timestamp, id: impl std::fmt::Display) -> String {
    format!("{}:{id}", at.0)
}

fn read_pair<I: std::str::FromStr>(text: &str) -> Option<(Timestamp, I)> {
    let (at, id) = text.split_once(':')?;
    Some((Timestamp(at.parse().ok()?), id.parse().ok()?))
}

impl Position for AuditPosition {
    fn write(&self) -> String {
        write_pair(self.created_at, self.id)
    }
    fn read(text: &str) -> Option<Self> {
        read_pair(text).map(|(created_at, id)| Self { created_at, id })
    }
}

impl Position for NotificationPosition {
    fn write(&self) -> String {
        write_pair(self.created_at, self.id)
    }
    fn read(text: &str) -> Option<Self> {
        read_pair(text).map(|(created_at, id)| Self { created_at, id })
    }
}

impl Position for DirectoryPosition {
    // `user:key`: the user id has no `:`, the key may.
    fn write(&self) -> String {
        format!("{}:{}", self.user.0, self.sort_key)
    }
    fn read(text: &str) -> Option<Self> {
        let (user, key) = text.split_once(':')?;
        Some(Self {
            sort_key: key.to_owned(),
            user: crate::ids::UserId(user.parse().ok()?),
        })
    }
}

impl Position for RoomPosition {
    fn write(&self) -> String {
        write_pair(self.activity_at, self.room)
    }
    fn read(text: &str) -> Option<Self> {
        read_pair(text).map(|(activity_at, room)| Self { activity_at, room })
    }
}

/// Paging one list for one scope: every list of the facade pages the same way — decode the
/// cursor into a position, fetch `limit + 1` items after it, keep `limit`, and hand out a
/// cursor to the last one kept only when there was more.
pub(crate) struct Pager {
    kind: &'static str,
    scope: String,
    limit: u32,
}

impl Pager {
    /// A pager for the list `kind` within `scope`, `limit` items a page.
    pub(crate) fn new(kind: &'static str, scope: String, limit: u32) -> Self {
        Self { kind, scope, limit }
    }

    /// The position `cursor` names, `None` for the first page; a cursor of another list,
    /// scope, or a tampered one is a validation error.
    pub(crate) fn after<P: Position>(&self, cursor: Option<&str>) -> Result<Option<P>> {
        cursor
            .map(|c| P::read(&decode(c, self.kind, &self.scope)?).ok_or_else(malformed))
            .transpose()
    }

    /// A cursor to `position` in this list (for lists that page both ways).
    pub(crate) fn cursor(&self, position: &impl Position) -> String {
        encode(self.kind, &self.scope, &position.write())
    }

    /// How many items to fetch: one more than a page, to know whether another follows.
    pub(crate) fn fetch(&self) -> u32 {
        self.limit + 1
    }

    /// The page of `fetched` (at most [`Pager::fetch`] items, in list order), with the
    /// cursor to what follows it, made from the last item's position.
    pub(crate) fn page<T, P: Position>(
        &self,
        mut fetched: Vec<T>,
        position: impl Fn(&T) -> P,
    ) -> Page<T> {
        let next_cursor = if fetched.len() > self.limit as usize {
            fetched.truncate(self.limit as usize);
            fetched
                .last()
                .map(|last| encode(self.kind, &self.scope, &position(last).write()))
        } else {
            None
        };
        Page {
            items: fetched,
            next_cursor,
        }
    }
}

/// Encodes `position` for the list `kind` within `scope`.
pub fn encode(kind: &str, scope: &str, position: &str) -> String {
    let body = format!("{kind}|{scope}|{position}");
    let sum = checksum(&body);
    URL_SAFE_NO_PAD.encode(format!("{body}|{sum:08x}"))
}

/// Longest cursor [`decode`] reads. Every cursor the library hands out must fit: the longest
/// is the directory's, whose position carries a folded display name — 80 characters of up to
/// 4 bytes in UTF-8 — and whose scope and position carry 64-bit ids, some 400 bytes before
/// base64 (540 after). The bound only keeps a hostile cursor from costing more than a
/// kilobyte of decoding.
pub const MAX_CURSOR_LEN: usize = 1024;

/// Decodes a cursor, requiring the same `kind` and `scope`; returns the position.
pub fn decode(cursor: &str, kind: &str, scope: &str) -> Result<String> {
    let bad = malformed;
    if cursor.len() > MAX_CURSOR_LEN {
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

    /// Found by the `cursor` fuzz target: a directory page ending on a user whose name is 80
    /// four-byte letters (CJK Extension B), at large ids, got a next cursor of 515 characters
    /// that `decode` refused (the bound was 512): the next page could not be asked for.
    #[test]
    fn the_longest_directory_cursor_decodes() {
        let name = crate::validate::room_name(&"\u{20000}".repeat(80)).unwrap();
        let scope = format!("{}:1:{:08x}", i64::MAX, u32::MAX);
        let position = format!("{}:{}", i64::MAX, crate::fold::sort_key(Some(&name)));
        let c = encode("users", &scope, &position);
        assert!(c.len() > 512, "{}", c.len());
        assert_eq!(decode(&c, "users", &scope).unwrap(), position);
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
