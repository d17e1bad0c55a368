//! Activity statistics for managers (`GET /stats`), computed lazily from the messages and
//! rooms themselves, with ended buckets cached.
//!
//! Why lazily (measured, `docs/performance.md` "Statistics"): keeping rollup rows in the
//! send's transaction costs every send one upsert per bucket unit that needs distinct senders
//! (hour and day) — about +20% per send in a raw-SQLite measurement, four times the 5% budget
//! — while reading from the `(account_id, created_at)` index the messages already have costs
//! sends nothing. What makes the reads cheap is that a bucket which has ended never changes:
//! messages are never removed (a deleted message still counts), rooms are archived, not
//! removed, and every write is stamped before it commits. So ended buckets are cached here
//! (any backend, any number of processes computing the same figures), and a request asks the
//! store only for the buckets it has not cached: after the first request of an account, the
//! last few minutes of activity.
//!
//! The store is only asked for minute buckets (`range=hour`) or hour buckets (`day` and
//! `month`); a day is the union of its 24 hours (senders as sets), so the month's current day
//! costs its current hour, not the whole day.

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Weighter;

use super::{Actor, Chat};
use crate::error::Result;
use crate::ids::{AccountId, Timestamp};
use crate::policy::{decide, Action, Subject};
use crate::stats::{Activity, BucketUnit, Stats, StatsPoint, StatsRange};
use crate::store::StatsScope;

/// A bucket is cached only once it ended this long ago: a write is stamped before it
/// commits, and this bounds how long it may take to commit (the writer queue is bounded and
/// drains in milliseconds) so that no message lands in a bucket that was already cached.
pub const STATS_GRACE_MS: i64 = 5 * 60_000;

/// The cache's capacity in weight units: one per bucket plus one per sender id in it (8
/// bytes each), so about 32 MiB of sender ids at most however many accounts are watched.
const CACHE_WEIGHT: u64 = 4_000_000;

/// Entries expected: a month of hours plus an hour of minutes, for a few hundred accounts.
const CACHE_ITEMS: usize = 200_000;

type Key = (AccountId, BucketUnit, i64);

#[derive(Clone)]
struct BySenders;

impl Weighter<Key, Arc<Activity>> for BySenders {
    fn weight(&self, _: &Key, v: &Arc<Activity>) -> u64 {
        1 + v.senders.len() as u64
    }
}

/// Ended buckets of each account, by unit and start.
pub(super) struct StatsCache(Cache<Key, Arc<Activity>, BySenders>);

impl Default for StatsCache {
    fn default() -> Self {
        Self(Cache::with_weighter(CACHE_ITEMS, CACHE_WEIGHT, BySenders))
    }
}

/// The unit the store is asked for to build a range's series.
fn fine_unit(range: StatsRange) -> BucketUnit {
    match range {
        StatsRange::Hour => BucketUnit::Minute,
        StatsRange::Day | StatsRange::Month => BucketUnit::Hour,
    }
}

impl Chat {
    /// The account's activity over `range` (admins and supervisors): every bucket of the
    /// range, oldest first, the last one holding now; and the account-wide totals.
    pub async fn stats(&self, actor: &Actor, range: StatsRange) -> Result<Stats> {
        decide(Action::ViewStats, &Subject::account(actor.role)).into_result()?;
        let scope = StatsScope::new(actor.account);
        let now = Timestamp::now();
        let from = range.from(now);
        let unit = range.unit();
        let series = self.series(&scope, range, now).await?;
        let since = Timestamp(now.0 - BucketUnit::Day.millis());
        let totals = self.store.stats_totals(&scope, since).await?;
        Ok(Stats {
            range,
            bucket: unit,
            from,
            to: now,
            series: series
                .iter()
                .map(|a| StatsPoint {
                    ts: a.start,
                    messages: a.messages,
                    active_senders: a.senders.len() as u64,
                    rooms_created: a.rooms_created,
                })
                .collect(),
            totals,
        })
    }

    /// The range's buckets at `now`. For a month, a day that has ended is cached as a whole
    /// once composed (the union of 24 hours' senders is the costly part of a month: done once
    /// per day, not per request); the days not cached are composed from their hours.
    async fn series(
        &self,
        scope: &StatsScope,
        range: StatsRange,
        now: Timestamp,
    ) -> Result<Vec<Arc<Activity>>> {
        let (unit, fine) = (range.unit(), fine_unit(range));
        let starts: Vec<Timestamp> = range.starts(now).collect();
        if unit == fine {
            return self.fine_buckets(scope, fine, starts[0], now).await;
        }
        let ended = |start: Timestamp| start.0 + unit.millis() + STATS_GRACE_MS <= now.0;
        let key = |start: Timestamp| (scope.account(), unit, start.0);
        let mut out: Vec<Option<Arc<Activity>>> = starts
            .iter()
            .map(|&s| ended(s).then(|| self.stats_cache.0.get(&key(s))).flatten())
            .collect();
        let first_missing = out.iter().position(Option::is_none).unwrap_or(out.len());
        let Some(&read_from) = starts.get(first_missing) else {
            return Ok(out.into_iter().flatten().collect());
        };
        let mut composed: Vec<Activity> = starts[first_missing..]
            .iter()
            .map(|&s| Activity::empty(s))
            .collect();
        for b in self.fine_buckets(scope, fine, read_from, now).await? {
            let i = ((unit.floor(b.start).0 - read_from.0) / unit.millis()) as usize;
            if let Some(day) = composed.get_mut(i) {
                // The union of the hours' senders is made once per day below, not per hour.
                day.messages += b.messages;
                day.rooms_created += b.rooms_created;
                day.senders.extend_from_slice(&b.senders);
            }
        }
        for (i, mut day) in composed.into_iter().enumerate() {
            day.senders.sort_unstable();
            day.senders.dedup();
            let day = Arc::new(day);
            if ended(day.start) {
                self.stats_cache.0.insert(key(day.start), day.clone());
            }
            out[first_missing + i] = Some(day);
        }
        Ok(out.into_iter().flatten().collect())
    }

    /// Every `unit` bucket from `from` to the one holding `now`, from the cache where ended,
    /// the rest from one store read starting at the oldest one missing.
    async fn fine_buckets(
        &self,
        scope: &StatsScope,
        unit: BucketUnit,
        from: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<Arc<Activity>>> {
        let step = unit.millis();
        let starts: Vec<i64> = (from.0..=unit.floor(now).0)
            .step_by(step as usize)
            .collect();
        let ended = |start: i64| start + step + STATS_GRACE_MS <= now.0;
        let key = |start: i64| (scope.account(), unit, start);
        let mut out: Vec<Option<Arc<Activity>>> = starts
            .iter()
            .map(|&s| ended(s).then(|| self.stats_cache.0.get(&key(s))).flatten())
            .collect();
        let Some(first_missing) = out.iter().position(Option::is_none) else {
            return Ok(out.into_iter().flatten().collect());
        };
        let read_from = Timestamp(starts[first_missing]);
        let found = self
            .store
            .activity(scope, read_from, Timestamp(now.0 + 1), unit)
            .await?;
        let mut found = found.into_iter().peekable();
        for (i, &start) in starts.iter().enumerate().skip(first_missing) {
            let bucket = match found.next_if(|a| a.start.0 == start) {
                Some(a) => Arc::new(a),
                None => Arc::new(Activity::empty(Timestamp(start))),
            };
            if ended(start) {
                self.stats_cache.0.insert(key(start), bucket.clone());
            }
            out[i] = Some(bucket);
        }
        Ok(out.into_iter().flatten().collect())
    }
}
