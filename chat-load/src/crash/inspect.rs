//! The crash harness's checks, read straight from the SQLite file (read-only, next to the
//! running server): `PRAGMA integrity_check`, every acknowledged message stored exactly once,
//! each room's `seq` without gap or duplicate, the event log without gap, and each
//! subscriber's events equal to the log's events for that user.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

use super::traffic::{Sender, Subscriber};

/// How long the subscribers get to catch up with the log after a restart.
const CATCH_UP: Duration = Duration::from_secs(30);

/// The database of a `chat-server-min` on SQLite, for one account.
pub struct Sqlite {
    path: PathBuf,
    account: i64,
}

/// A message row: `(room, sender, client_id)` → `(id, seq)`, ids as lowercase hex.
type Rows = HashMap<(String, i64, String), (String, i64)>;

/// What one read of the database found.
struct Snapshot {
    integrity: Vec<String>,
    rows: Rows,
    /// Rows with a `client_id` (the unique index would hide a second one in `rows`).
    row_count: usize,
    /// Contents stored more than once (each content names its `client_id`).
    doubled: Vec<String>,
    seqs: HashMap<String, Vec<i64>>,
    last_seq: HashMap<String, i64>,
    /// `(id, audience)` of the account's log, by id.
    events: Vec<(i64, Vec<i64>)>,
    pruned_through: i64,
    counter_last: i64,
}

/// A UUID as the API renders it, as `lower(hex(blob))`.
fn hex(uuid: &str) -> String {
    uuid.replace('-', "").to_ascii_lowercase()
}

fn sql(e: rusqlite::Error) -> String {
    format!("reading the database: {e}")
}

impl Sqlite {
    /// The database at `path`, looking at `account`.
    pub fn new(path: &Path, account: i64) -> Self {
        Self {
            path: path.to_path_buf(),
            account,
        }
    }

    fn open(&self) -> Result<Connection, String> {
        Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("{}: {e}", self.path.display()))
    }

    /// The newest event id of the account.
    pub fn log_head(&self) -> Result<i64, String> {
        self.open()?
            .query_row(
                "SELECT COALESCE(MAX(id), 0) FROM internal_chat_events WHERE account_id = ?1",
                [self.account],
                |r| r.get(0),
            )
            .map_err(sql)
    }

    fn snapshot(&self) -> Result<Snapshot, String> {
        let c = self.open()?;
        let tx = c.unchecked_transaction().map_err(sql)?;
        let a = self.account;
        let integrity = tx
            .prepare("PRAGMA integrity_check")
            .and_then(|mut s| {
                s.query_map([], |r| r.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql)?;
        let mut rows = Rows::new();
        let mut row_count = 0;
        let mut seqs: HashMap<String, Vec<i64>> = HashMap::new();
        let mut stmt = tx
            .prepare(
                "SELECT lower(hex(room_id)), sender_id, client_id, lower(hex(id)), seq \
                 FROM internal_chat_messages WHERE account_id = ?1",
            )
            .map_err(sql)?;
        let mut q = stmt.query([a]).map_err(sql)?;
        while let Some(r) = q.next().map_err(sql)? {
            let room: String = r.get(0).map_err(sql)?;
            let seq: i64 = r.get(4).map_err(sql)?;
            seqs.entry(room.clone()).or_default().push(seq);
            if let Some(client_id) = r.get::<_, Option<String>>(2).map_err(sql)? {
                row_count += 1;
                rows.insert(
                    (room, r.get(1).map_err(sql)?, client_id),
                    (r.get(3).map_err(sql)?, seq),
                );
            }
        }
        drop(q);
        drop(stmt);
        let doubled = tx
            .prepare(
                "SELECT content FROM internal_chat_messages WHERE account_id = ?1 \
                 GROUP BY content HAVING COUNT(*) > 1",
            )
            .and_then(|mut s| {
                s.query_map([a], |r| r.get::<_, Option<String>>(0))?
                    .map(|r| r.map(Option::unwrap_or_default))
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql)?;
        let last_seq = tx
            .prepare(
                "SELECT lower(hex(id)), last_seq FROM internal_chat_rooms WHERE account_id = ?1",
            )
            .and_then(|mut s| {
                s.query_map([a], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<HashMap<String, i64>>>()
            })
            .map_err(sql)?;
        let events = tx
            .prepare(
                "SELECT id, audience FROM internal_chat_events WHERE account_id = ?1 ORDER BY id",
            )
            .and_then(|mut s| {
                s.query_map([a], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(sql)?
            .into_iter()
            .map(|(id, audience)| {
                serde_json::from_str(&audience)
                    .map(|users| (id, users))
                    .map_err(|e| format!("event {id}: audience `{audience}`: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (counter_last, pruned_through) = tx
            .query_row(
                "SELECT last_id, pruned_through FROM internal_chat_event_counters WHERE account_id = ?1",
                [a],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok((0, 0)),
                e => Err(e),
            })
            .map_err(sql)?;
        Ok(Snapshot {
            integrity,
            rows,
            row_count,
            doubled,
            seqs,
            last_seq,
            events,
            pruned_through,
            counter_last,
        })
    }

    /// Runs every check; `exact` (the end of the run, nothing in doubt) also requires that
    /// the database holds no message beyond the acknowledged ones. Returns a one-line summary.
    pub async fn check(
        &self,
        senders: &[Sender],
        subscribers: &[Arc<Subscriber>],
        exact: bool,
    ) -> Result<String, String> {
        let snap = self.snapshot()?;
        if snap.integrity != ["ok"] {
            return Err(format!("PRAGMA integrity_check: {:?}", snap.integrity));
        }
        let acked = check_messages(&snap, senders, exact)?;
        check_seqs(&snap)?;
        let (first, last) = check_log(&snap)?;
        let events = self.check_subscribers(subscribers, snap).await?;
        Ok(format!(
            "integrity ok, {acked} acknowledged messages each stored once, seq gapless in every room, log {first}..={last} gapless, {} subscribers saw {events} events exactly once",
            subscribers.len()
        ))
    }

    /// Waits until every subscriber has caught up with the log (a fresh snapshot each time),
    /// then compares what each received with the log's events for its user.
    async fn check_subscribers(
        &self,
        subscribers: &[Arc<Subscriber>],
        mut snap: Snapshot,
    ) -> Result<usize, String> {
        let deadline = Instant::now() + CATCH_UP;
        let mut total = 0;
        for sub in subscribers {
            loop {
                let from = sub.start.max(snap.pruned_through);
                let expected: Vec<i64> = snap
                    .events
                    .iter()
                    .filter(|(id, users)| *id > from && users.contains(&sub.user))
                    .map(|(id, _)| *id)
                    .collect();
                let (problem, got, connections) = {
                    let seen = sub.seen();
                    let got: Vec<i64> = seen.ids.iter().copied().filter(|id| *id > from).collect();
                    (seen.problems.first().cloned(), got, seen.connections)
                };
                if let Some(p) = problem {
                    return Err(format!("subscriber {}: {p}", sub.user));
                }
                if got == expected {
                    total += got.len();
                    break;
                }
                let behind = got.len() < expected.len() && expected.starts_with(&got);
                if !behind || Instant::now() > deadline {
                    let missing: Vec<_> = expected
                        .iter()
                        .filter(|i| !got.contains(i))
                        .take(10)
                        .collect();
                    let extra: Vec<_> = got
                        .iter()
                        .filter(|i| !expected.contains(i))
                        .take(10)
                        .collect();
                    return Err(format!(
                        "subscriber {} ({} connections): received {} events, the log has {} for it; missing {missing:?}, not in the log {extra:?}",
                        sub.user,
                        connections,
                        got.len(),
                        expected.len()
                    ));
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
                snap = self.snapshot()?;
            }
        }
        Ok(total)
    }
}

/// Every acknowledged message is stored, once, as acknowledged; nothing else is stored but
/// the sends still in doubt (none when `exact`). Returns the number acknowledged.
fn check_messages(snap: &Snapshot, senders: &[Sender], exact: bool) -> Result<usize, String> {
    if let Some(content) = snap.doubled.first() {
        return Err(format!("message `{content}` stored more than once"));
    }
    let mut acked = 0;
    let mut expected = std::collections::HashSet::new();
    for s in senders {
        for a in &s.acked {
            let key = (hex(&a.room), s.user, a.client_id.clone());
            match snap.rows.get(&key) {
                Some((id, seq)) if *id == hex(&a.id) && *seq == a.seq => {}
                Some(row) => {
                    return Err(format!(
                        "acknowledged {} (id {}, seq {}) is stored as {row:?}",
                        a.client_id, a.id, a.seq
                    ))
                }
                None => {
                    return Err(format!(
                        "acknowledged message {} (id {}, seq {}) of user {} is missing",
                        a.client_id, a.id, a.seq, s.user
                    ))
                }
            }
            acked += 1;
            expected.insert(key);
        }
        if let Some((room, client_id)) = &s.pending {
            if exact {
                return Err(format!("{client_id} still in doubt at the end"));
            }
            expected.insert((hex(room), s.user, client_id.clone()));
        }
    }
    if snap.row_count != snap.rows.len() {
        return Err(format!(
            "{} messages with a client_id but {} distinct (room, sender, client_id)",
            snap.row_count,
            snap.rows.len()
        ));
    }
    if let Some(key) = snap.rows.keys().find(|k| !expected.contains(*k)) {
        return Err(format!("a message nobody sent is stored: {key:?}"));
    }
    if exact && snap.rows.len() != acked {
        return Err(format!(
            "{} messages stored, {acked} acknowledged",
            snap.rows.len()
        ));
    }
    Ok(acked)
}

/// Each room's messages have `seq` 1..=n, and the room's counter is n.
fn check_seqs(snap: &Snapshot) -> Result<(), String> {
    for (room, seqs) in &snap.seqs {
        let mut sorted = seqs.clone();
        sorted.sort_unstable();
        if let Some((i, s)) = sorted
            .iter()
            .enumerate()
            .find(|(i, s)| **s != *i as i64 + 1)
        {
            return Err(format!(
                "room {room}: seq {s} at position {} (gap or duplicate)",
                i + 1
            ));
        }
        let last = snap.last_seq.get(room).copied().unwrap_or(0);
        if last != sorted.len() as i64 {
            return Err(format!(
                "room {room}: last_seq {last} but {} messages",
                sorted.len()
            ));
        }
    }
    Ok(())
}

/// The log's ids run without gap from just after the pruned part to the newest id handed out.
fn check_log(snap: &Snapshot) -> Result<(i64, i64), String> {
    let Some((first, _)) = snap.events.first() else {
        return Err("the event log is empty".into());
    };
    if *first != snap.pruned_through + 1 {
        return Err(format!(
            "the log starts at {first}, pruned through {}",
            snap.pruned_through
        ));
    }
    for pair in snap.events.windows(2) {
        if pair[1].0 != pair[0].0 + 1 {
            return Err(format!("event log gap: {} then {}", pair[0].0, pair[1].0));
        }
    }
    let last = snap.events.last().map_or(0, |(id, _)| *id);
    if snap.counter_last > last {
        return Err(format!(
            "the counter handed out {} but the log ends at {last}",
            snap.counter_last
        ));
    }
    Ok((*first, last))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::traffic::Acked;
    use super::*;

    const ROOM: &str = "00000000-0000-0000-0000-0000000000aa";

    fn snapshot(seqs: &[i64], events: &[i64]) -> Snapshot {
        let rows: Rows = seqs
            .iter()
            .map(|s| ((hex(ROOM), 7, format!("c{s}")), (format!("{s:032x}"), *s)))
            .collect();
        Snapshot {
            integrity: vec!["ok".into()],
            row_count: rows.len(),
            rows,
            doubled: Vec::new(),
            seqs: HashMap::from([(hex(ROOM), seqs.to_vec())]),
            last_seq: HashMap::from([(hex(ROOM), seqs.len() as i64)]),
            events: events.iter().map(|id| (*id, vec![7])).collect(),
            pruned_through: 0,
            counter_last: 0,
        }
    }

    fn sender(acked: &[i64], pending: Option<i64>) -> Sender {
        let mut s = Sender::new(7, String::new());
        s.acked = acked
            .iter()
            .map(|n| Acked {
                room: ROOM.into(),
                client_id: format!("c{n}"),
                id: format!("{n:032x}"),
                seq: *n,
            })
            .collect();
        s.pending = pending.map(|n| (ROOM.into(), format!("c{n}")));
        s
    }

    #[test]
    fn a_consistent_database_passes() {
        let snap = snapshot(&[1, 2, 3], &[1, 2, 3]);
        assert_eq!(
            check_messages(&snap, &[sender(&[1, 2], Some(3))], false),
            Ok(2)
        );
        assert!(check_seqs(&snap).is_ok());
        assert_eq!(check_log(&snap), Ok((1, 3)));
    }

    #[test]
    fn a_lost_or_unexplained_message_fails() {
        let snap = snapshot(&[1, 2], &[1, 2]);
        let lost = check_messages(&snap, &[sender(&[1, 2, 3], None)], false);
        assert!(lost.unwrap_err().contains("missing"));
        let phantom = check_messages(&snap, &[sender(&[1], None)], false);
        assert!(phantom.unwrap_err().contains("nobody sent"));
        // In doubt is fine mid-run, not at the end.
        assert!(check_messages(&snap, &[sender(&[1], Some(2))], false).is_ok());
        assert!(check_messages(&snap, &[sender(&[1], Some(2))], true).is_err());
        let mut doubled = snapshot(&[1, 2], &[1]);
        doubled.doubled.push("m c1".into());
        assert!(check_messages(&doubled, &[sender(&[1, 2], None)], false).is_err());
    }

    #[test]
    fn gaps_and_duplicates_fail() {
        assert!(check_seqs(&snapshot(&[1, 3], &[1])).is_err());
        assert!(check_seqs(&snapshot(&[1, 1, 2], &[1])).is_err());
        let mut behind = snapshot(&[1, 2], &[1]);
        behind.last_seq.insert(hex(ROOM), 5);
        assert!(check_seqs(&behind).is_err());
        assert!(check_log(&snapshot(&[1], &[1, 2, 4])).is_err());
        assert!(check_log(&snapshot(&[1], &[2, 3])).is_err());
        let mut ahead = snapshot(&[1], &[1, 2]);
        ahead.counter_last = 3;
        assert!(check_log(&ahead).is_err());
    }
}
