//! Identifiers and timestamps.
//!
//! Users and accounts belong to the host platform and arrive as 64-bit integers; rooms,
//! messages and audit entries are ours and use UUID v7 so that ids sort by creation time.
//! Newtypes keep an account id from ever being passed where a user id is expected.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

macro_rules! int_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered (v7) id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

int_id!(
    /// A tenant of the host platform.
    AccountId
);
int_id!(
    /// A user of the host platform; only meaningful together with an [`AccountId`].
    UserId
);
uuid_id!(
    /// A room or direct-message conversation.
    RoomId
);
uuid_id!(
    /// A message.
    MessageId
);
uuid_id!(
    /// An audit entry.
    AuditId
);
uuid_id!(
    /// An in-app notification.
    NotificationId
);

/// A UTC instant with millisecond precision, stored as milliseconds since the Unix epoch.
///
/// Millisecond integers sort and index cheaply in every backend and round-trip exactly, which
/// `f64` seconds or text would not; the API renders them as RFC 3339 with a `Z` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The current time, truncated to milliseconds.
    pub fn now() -> Self {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Self((nanos / 1_000_000) as i64)
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }

    /// RFC 3339, UTC, `Z` suffix, exactly three fractional digits.
    pub fn to_rfc3339(self) -> String {
        let dt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            dt.year(),
            u8::from(dt.month()),
            dt.day(),
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.millisecond()
        )
    }

    /// Parses RFC 3339 (any offset) into a UTC millisecond timestamp.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let dt = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
        i64::try_from(dt.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Self)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom("invalid RFC 3339 timestamp"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_has_millis_and_z() {
        assert_eq!(Timestamp(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            Timestamp(1_770_552_060_123).to_rfc3339(),
            "2026-02-08T12:01:00.123Z"
        );
    }

    #[test]
    fn rfc3339_round_trips() {
        let t = Timestamp(1_770_552_060_123);
        assert_eq!(Timestamp::parse_rfc3339(&t.to_rfc3339()), Some(t));
        assert_eq!(Timestamp::parse_rfc3339("nope"), None);
    }

    #[test]
    fn uuid_ids_are_lowercase_hyphenated() {
        let id = RoomId::new();
        let s = id.to_string();
        assert_eq!(s.len(), 36);
        assert_eq!(s, s.to_lowercase());
        assert_eq!(s.parse::<RoomId>().ok(), Some(id));
    }
}
