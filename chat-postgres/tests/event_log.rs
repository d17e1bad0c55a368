//! The event log's guarantee on PostgreSQL — ids per account gap-free and in commit order, so
//! a tailer reading "after my cursor" never skips an event — under the conditions that break
//! naive designs: many concurrent writers on one account, other accounts writing beside them,
//! random delays while a writer holds its ids, and rollbacks after ids were handed out.
//! And the negative control: the same tailer over a sequence-numbered table does skip rows.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chat_core::ids::AccountId;
use chat_core::store::ChatStore;
use chat_core::testing::fixtures::{people, team, text};
use chat_core::Chat;
use chat_postgres::Options;
use common::{client, TestDb};

/// What a tailer checks of every batch it reads after `cursor`: it starts at `cursor + 1`
/// and has no hole. Any other batch means an event the tailer will never read again.
fn check_batch(cursor: i64, ids: &[i64]) -> Result<(), String> {
    let Some(first) = ids.first() else {
        return Ok(());
    };
    if *first != cursor + 1 {
        return Err(format!("batch after {cursor} starts at {first}"));
    }
    if let Some(w) = ids.windows(2).find(|w| w[1] != w[0] + 1) {
        return Err(format!(
            "batch after {cursor} jumps from {} to {}",
            w[0], w[1]
        ));
    }
    Ok(())
}

/// A small deterministic generator (no test-time dependency for randomness).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const WRITERS: usize = 24;
const BACKGROUND_ACCOUNTS: i64 = 2;
const BACKGROUND_WRITERS: usize = 3;
const SENDS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tailer_never_sees_a_gap_under_concurrent_writers_delays_and_rollbacks() {
    let db = TestDb::create();
    let options = Options {
        pool_size: WRITERS + BACKGROUND_WRITERS * 2 + 2,
        ..Options::default()
    };
    let chat = Chat::new(Arc::new(db.store(&options)));
    let main = AccountId(1);
    let accounts: Vec<AccountId> = (0..=BACKGROUND_ACCOUNTS)
        .map(|i| AccountId(1 + i))
        .collect();
    // One room per writer: writers of an account then meet only at its event counter.
    let mut jobs = Vec::new();
    for &account in &accounts {
        let who = people(&chat, account, account.0 * 100).await;
        let n = if account == main {
            WRITERS
        } else {
            BACKGROUND_WRITERS
        };
        for i in 0..n {
            let (room, _) = chat
                .create_room(&who.admin, team(&format!("w{i}"), &[]))
                .await
                .unwrap();
            jobs.push((account, who.admin.clone(), room.id, i));
        }
    }
    // From now on every append waits a random few milliseconds while it holds the counter
    // row (the trigger runs inside the append statement) and one in twelve rolls back there,
    // after its ids were handed out.
    db.exec_as_admin(
        "CREATE FUNCTION test_jitter() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           PERFORM pg_sleep(random() * 0.004); \
           IF random() < 1.0 / 12 THEN RAISE EXCEPTION 'injected rollback'; END IF; \
           RETURN NEW; END $$; \
         CREATE TRIGGER test_jitter AFTER INSERT ON internal_chat_events \
           FOR EACH ROW EXECUTE FUNCTION test_jitter();",
    );
    let tail_store = db.store(&Options {
        pool_size: 2,
        ..Options::default()
    });
    let start = tail_store.events_after(main, 0, 1).await.unwrap().last_id;

    let done = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for (account, actor, room, i) in jobs {
        let (chat, sent, failed) = (chat.clone(), Arc::clone(&sent), Arc::clone(&failed));
        writers.push(tokio::spawn(async move {
            let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (account.0 as u64 * 1000 + i as u64));
            for k in 0..SENDS {
                match chat.send_message(&actor, room, text(&format!("{k}"))).await {
                    Ok(_) if account == main => {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(Duration::from_micros(rng.below(3_000))).await;
            }
        }));
    }
    let tailer = {
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let (mut cursor, mut seen, mut batches) = (start, 0u64, 0u64);
            loop {
                let finished = done.load(Ordering::Acquire);
                let slice = tail_store.events_after(main, cursor, 50).await.unwrap();
                let ids: Vec<i64> = slice.events.iter().map(|e| e.id.unwrap()).collect();
                check_batch(cursor, &ids).unwrap();
                assert!(slice.last_id >= cursor, "the head never goes back");
                if let Some(last) = ids.last() {
                    cursor = *last;
                    seen += ids.len() as u64;
                    batches += 1;
                } else if finished && cursor == slice.last_id {
                    return (seen, batches);
                }
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    done.store(true, Ordering::Release);
    let (seen, batches) = tailer.await.unwrap();
    let (sent, failed) = (sent.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    eprintln!(
        "{sent} sends committed, {failed} rolled back, {seen} events tailed in {batches} batches"
    );
    assert!(
        failed > 0,
        "rollbacks after ids were handed out must have happened"
    );
    assert!(
        batches > 10,
        "the tailer read while writers wrote ({batches} batches)"
    );
    assert_eq!(seen, sent, "every committed send, each exactly once");
}

/// The control: a table numbered by a sequence, written by concurrent transactions that
/// each wait a little between taking their number and committing — the tailer logic above
/// must find a batch that does not start at its cursor + 1 (a row committed behind it, which
/// it would never read). If this passed, the test above would prove nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_tailer_over_a_sequence_skips_rows() {
    const TRIES: usize = 5;
    let db = TestDb::create();
    db.exec_as_admin("CREATE TABLE toy_log (id bigserial PRIMARY KEY, payload text NOT NULL)");
    let url = db.url(None);
    for _ in 0..TRIES {
        let done = Arc::new(AtomicBool::new(false));
        let mut writers = Vec::new();
        for _ in 0..16 {
            let url = url.clone();
            writers.push(tokio::spawn(async move {
                let c = client(&url).await;
                for _ in 0..20 {
                    c.batch_execute(
                        "BEGIN; INSERT INTO toy_log (payload) VALUES ('x'); \
                         SELECT pg_sleep(random() * 0.004); COMMIT;",
                    )
                    .await
                    .unwrap();
                }
            }));
        }
        let tailer = {
            let (url, done) = (url.clone(), Arc::clone(&done));
            tokio::spawn(async move {
                let c = client(&url).await;
                let mut cursor = c
                    .query_one("SELECT COALESCE(MAX(id), 0) FROM toy_log", &[])
                    .await
                    .unwrap()
                    .get::<_, i64>(0);
                loop {
                    let finished = done.load(Ordering::Acquire);
                    let ids: Vec<i64> = c
                        .query(
                            "SELECT id FROM toy_log WHERE id > $1 ORDER BY id LIMIT 50",
                            &[&cursor],
                        )
                        .await
                        .unwrap()
                        .iter()
                        .map(|r| r.get(0))
                        .collect();
                    if let Err(gap) = check_batch(cursor, &ids) {
                        return Some(gap);
                    }
                    match ids.last() {
                        Some(last) => cursor = *last,
                        None if finished => return None,
                        None => {}
                    }
                }
            })
        };
        for w in writers {
            w.await.unwrap();
        }
        done.store(true, Ordering::Release);
        if let Some(gap) = tailer.await.unwrap() {
            eprintln!("sequence-numbered log: {gap}");
            return;
        }
    }
    panic!("the sequence-numbered log showed no gap in {TRIES} tries: the control proves nothing");
}
