//! Activity statistics (`GET /stats`): the ranges, their UTC buckets, and the answer's shape.
//!
//! A range is a fixed number of whole UTC buckets ending with the one that holds "now"
//! (partial). Buckets are aligned on the Unix epoch, which is aligned on UTC minutes, hours
//! and days (Unix time has no leap seconds), so a bucket's start is `t - t mod unit`.
//! How the counts are kept is the facade's business (see `Chat::stats`); this module is pure.

use serde::{Deserialize, Serialize};

use crate::ids::{Timestamp, UserId};
use crate::model::str_enum;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;
const DAY_MS: i64 = 24 * HOUR_MS;

str_enum!(
    /// How far back the statistics look.
    StatsRange {
        /// The last 60 minutes, by minute.
        Hour => "hour",
        /// The last 24 hours, by hour.
        Day => "day",
        /// The last 30 days, by day.
        Month => "month",
    }
);

str_enum!(
    /// The width of one bucket of a series.
    BucketUnit {
        /// One UTC minute.
        Minute => "minute",
        /// One UTC hour.
        Hour => "hour",
        /// One UTC day.
        Day => "day",
    }
);

impl BucketUnit {
    /// The bucket's width in milliseconds.
    pub fn millis(self) -> i64 {
        match self {
            BucketUnit::Minute => MINUTE_MS,
            BucketUnit::Hour => HOUR_MS,
            BucketUnit::Day => DAY_MS,
        }
    }

    /// Start of the bucket holding `t`.
    pub fn floor(self, t: Timestamp) -> Timestamp {
        Timestamp(t.0 - t.0.rem_euclid(self.millis()))
    }
}

impl StatsRange {
    /// The unit of its buckets.
    pub fn unit(self) -> BucketUnit {
        match self {
            StatsRange::Hour => BucketUnit::Minute,
            StatsRange::Day => BucketUnit::Hour,
            StatsRange::Month => BucketUnit::Day,
        }
    }

    /// How many buckets its series has.
    pub fn buckets(self) -> i64 {
        match self {
            StatsRange::Hour => 60,
            StatsRange::Day => 24,
            StatsRange::Month => 30,
        }
    }

    /// Start of its oldest bucket when it is `now`: the last bucket is the one holding `now`.
    pub fn from(self, now: Timestamp) -> Timestamp {
        let unit = self.unit();
        Timestamp(unit.floor(now).0 - (self.buckets() - 1) * unit.millis())
    }

    /// Every bucket start of the range at `now`, oldest first.
    pub fn starts(self, now: Timestamp) -> impl Iterator<Item = Timestamp> {
        let (from, step) = (self.from(now).0, self.unit().millis());
        (0..self.buckets()).map(move |i| Timestamp(from + i * step))
    }
}

/// What a store counted in one bucket (see [`crate::store::ChatStore::activity`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The bucket's start.
    pub start: Timestamp,
    /// Messages sent in it, deleted ones and those of since-archived rooms included.
    pub messages: u64,
    /// Who sent them: distinct, ascending. Kept as ids rather than a count so that buckets
    /// compose (a day's senders are the union of its hours').
    pub senders: Vec<UserId>,
    /// Team rooms created in it (archived since or not; DMs are not counted).
    pub rooms_created: u64,
}

impl Activity {
    /// An empty bucket.
    pub fn empty(start: Timestamp) -> Self {
        Self {
            start,
            messages: 0,
            senders: Vec::new(),
            rooms_created: 0,
        }
    }

    /// Adds `other`'s counts to this bucket (senders as a set union).
    pub fn absorb(&mut self, other: &Activity) {
        self.messages += other.messages;
        self.rooms_created += other.rooms_created;
        self.senders.extend_from_slice(&other.senders);
        self.senders.sort_unstable();
        self.senders.dedup();
    }
}

/// One bucket of the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsPoint {
    /// The bucket's start (UTC).
    pub ts: Timestamp,
    /// Messages sent in the bucket, deleted ones included.
    pub messages: u64,
    /// Distinct users who sent a message in the bucket.
    pub active_senders: u64,
    /// Team rooms created in the bucket.
    pub rooms_created: u64,
}

/// Account-wide figures at the time of the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatsTotals {
    /// Live (not archived) team rooms.
    pub rooms: u64,
    /// Live DMs.
    pub dms: u64,
    /// Active users of the directory.
    pub users: u64,
    /// Active users seen (an authenticated request) in the last 24 hours.
    pub users_active_24h: u64,
    /// Messages sent in the last 24 hours (a sliding window, not buckets), deleted included.
    pub messages_24h: u64,
}

/// The answer of `GET /stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// The range asked for.
    pub range: StatsRange,
    /// Its bucket unit.
    pub bucket: BucketUnit,
    /// Start of the oldest bucket.
    pub from: Timestamp,
    /// The time of the answer: the newest bucket is counted up to here.
    pub to: Timestamp,
    /// Every bucket of the range, oldest first, empty ones with zeros.
    pub series: Vec<StatsPoint>,
    /// Account-wide figures.
    pub totals: StatsTotals,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_end_with_the_bucket_holding_now() {
        // 2026-02-08T12:01:30.123Z
        let now = Timestamp(1_770_552_090_123);
        for range in StatsRange::ALL {
            let starts: Vec<_> = range.starts(now).collect();
            let unit = range.unit();
            assert_eq!(starts.len() as i64, range.buckets());
            let last = *starts.last().unwrap();
            assert!(last <= now && now.0 < last.0 + unit.millis(), "{range}");
            assert!(starts.iter().all(|s| s.0 % unit.millis() == 0));
            assert!(starts.windows(2).all(|w| w[1].0 - w[0].0 == unit.millis()));
            assert_eq!(starts[0], range.from(now));
        }
        assert_eq!(
            StatsRange::Month.from(now).to_rfc3339(),
            "2026-01-10T00:00:00.000Z"
        );
        assert_eq!(
            StatsRange::Day.from(now).to_rfc3339(),
            "2026-02-07T13:00:00.000Z"
        );
        assert_eq!(
            StatsRange::Hour.from(now).to_rfc3339(),
            "2026-02-08T11:02:00.000Z"
        );
    }

    #[test]
    fn buckets_compose_as_sets_of_senders() {
        let mut day = Activity::empty(Timestamp(0));
        let hour = |s: &[i64], n| Activity {
            start: Timestamp(0),
            messages: n,
            senders: s.iter().copied().map(UserId).collect(),
            rooms_created: 1,
        };
        day.absorb(&hour(&[1, 2], 3));
        day.absorb(&hour(&[2, 3], 2));
        assert_eq!(day.messages, 5);
        assert_eq!(day.rooms_created, 2);
        assert_eq!(day.senders, vec![UserId(1), UserId(2), UserId(3)]);
    }

    #[test]
    fn floors_before_the_epoch_too() {
        assert_eq!(BucketUnit::Minute.floor(Timestamp(-1)), Timestamp(-60_000));
    }
}
