//! v1.1 statistics and the audit export: bucket counts against counts made by the test,
//! isolation between accounts, who may ask, and the export's order, paging and single slot.

use std::collections::BTreeSet;

use serde_json::{json, Map};

use crate::chat::Actor;
use crate::error::ChatError;
use crate::ids::{AccountId, AuditId, MessageId, RoomId, Timestamp, UserId};
use crate::model::{AuditAction, AuditEntry, Message, MessageType, Room, RoomRole, RoomType};
use crate::stats::{Activity, BucketUnit, Stats, StatsRange};
use crate::store::{AuditFilter, Op, StatsScope, Write};
use crate::testing::fixtures::{forbidden, invalid, world, World, ACC_A, ACC_B};
use crate::testing::TestBackend;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// A team room (or DM) of `account` created at `at`, written straight to the store.
async fn room_at(w: &World, account: AccountId, kind: RoomType, by: &Actor, at: i64) -> RoomId {
    let room = Room {
        id: RoomId::new(),
        account_id: account,
        kind,
        name: (kind == RoomType::Room).then(|| "past".to_owned()),
        created_by: by.user(),
        created_at: Timestamp(at),
        updated_at: Timestamp(at),
        last_message_at: None,
        last_seq: 0,
    };
    let id = room.id;
    let dm_pair = (kind == RoomType::Dm).then_some((by.user(), UserId(by.user().0 + 1000)));
    let op = Op::CreateRoom {
        room,
        dm_pair,
        members: vec![(by.user(), RoomRole::Owner)],
    };
    w.backend
        .store
        .apply(Write::new(account, op))
        .await
        .unwrap();
    id
}

/// A message stamped `at`, written straight to the store (the facade stamps now).
async fn message_at(
    w: &World,
    account: AccountId,
    room: RoomId,
    sender: UserId,
    at: i64,
) -> MessageId {
    let m = Message {
        id: MessageId::new(),
        room_id: room,
        account_id: account,
        sender_id: sender,
        content: Some("past".into()),
        message_type: MessageType::Text,
        mentions: vec![],
        client_id: None,
        seq: 0,
        created_at: Timestamp(at),
        edited_at: None,
        deleted_at: None,
    };
    let id = m.id;
    w.backend
        .store
        .apply(Write::new(account, Op::SendMessage(m)))
        .await
        .unwrap();
    id
}

fn bucket(start: i64, messages: u64, senders: &[&Actor], rooms: u64) -> Activity {
    let mut s: Vec<UserId> = senders.iter().map(|a| a.user()).collect();
    s.sort_unstable();
    s.dedup();
    Activity {
        start: Timestamp(start),
        messages,
        senders: s,
        rooms_created: rooms,
    }
}

/// `ChatStore::activity` counts every message (deleted ones and those of archived rooms too)
/// and every team room (not DMs) in its bucket, leaves empty buckets out, sorts by start,
/// and never counts another account's rows; `stats_totals` counts live rooms and DMs,
/// active users, users seen and messages since the given time.
pub async fn stats_store_activity_by_bucket(b: TestBackend) {
    let w = world(b).await;
    let (adm, a0, a1) = (&w.a.admin, &w.a.agents[0], &w.a.agents[1]);
    // A fixed past day, away from "now": 10 days ago at 00:00 UTC.
    let day = BucketUnit::Day.floor(Timestamp::now()).0 - 10 * DAY;
    let r1 = room_at(&w, ACC_A, RoomType::Room, adm, day + 5 * HOUR + 1).await;
    let r2 = room_at(&w, ACC_A, RoomType::Room, adm, day + 7 * HOUR).await;
    let _dm = room_at(&w, ACC_A, RoomType::Dm, a0, day + 7 * HOUR + 5).await;
    // Hour 5: three messages by two senders, one deleted later; hour 7: one; next day: one.
    message_at(&w, ACC_A, r1, adm.user(), day + 5 * HOUR + 10).await;
    let deleted = message_at(&w, ACC_A, r1, a0.user(), day + 5 * HOUR + 60_001).await;
    message_at(&w, ACC_A, r1, a0.user(), day + 6 * HOUR - 1).await;
    message_at(&w, ACC_A, r2, a1.user(), day + 7 * HOUR + 30).await;
    message_at(&w, ACC_A, r2, a1.user(), day + DAY + 1).await;
    let at = Timestamp(day + 8 * HOUR);
    let del = Op::DeleteMessage {
        message: deleted,
        at,
    };
    w.backend.store.apply(Write::new(ACC_A, del)).await.unwrap();
    let archive = Op::ArchiveRoom { room: r2, at };
    w.backend
        .store
        .apply(Write::new(ACC_A, archive))
        .await
        .unwrap();
    // Account B, same times, same user ids pattern: never in A's figures.
    let rb = room_at(&w, ACC_B, RoomType::Room, &w.b.admin, day + 5 * HOUR).await;
    message_at(&w, ACC_B, rb, w.b.admin.user(), day + 5 * HOUR + 20).await;
    message_at(&w, ACC_B, rb, w.b.admin.user(), day + 7 * HOUR + 20).await;

    let store = &w.backend.store;
    let a = StatsScope::new(ACC_A);
    let (from, to) = (Timestamp(day), Timestamp(day + 2 * DAY));
    let by_hour = store
        .activity(&a, from, to, BucketUnit::Hour)
        .await
        .unwrap();
    assert_eq!(
        by_hour,
        vec![
            bucket(day + 5 * HOUR, 3, &[adm, a0], 1),
            bucket(day + 7 * HOUR, 1, &[a1], 1),
            bucket(day + DAY, 1, &[a1], 0),
        ]
    );
    let by_minute = store
        .activity(&a, from, to, BucketUnit::Minute)
        .await
        .unwrap();
    assert_eq!(
        by_minute,
        vec![
            bucket(day + 5 * HOUR, 1, &[adm], 1),
            bucket(day + 5 * HOUR + 60_000, 1, &[a0], 0),
            bucket(day + 6 * HOUR - 60_000, 1, &[a0], 0),
            bucket(day + 7 * HOUR, 1, &[a1], 1),
            bucket(day + DAY, 1, &[a1], 0),
        ]
    );
    // `from` inclusive, `to` exclusive, to the millisecond.
    let edge = store
        .activity(
            &a,
            Timestamp(day + 5 * HOUR + 10),
            Timestamp(day + 6 * HOUR - 1),
            BucketUnit::Hour,
        )
        .await
        .unwrap();
    assert_eq!(edge, vec![bucket(day + 5 * HOUR, 2, &[adm, a0], 0)]);
    let b_hours = store
        .activity(&StatsScope::new(ACC_B), from, to, BucketUnit::Hour)
        .await
        .unwrap();
    let b_admin = &w.b.admin;
    assert_eq!(
        b_hours,
        vec![
            bucket(day + 5 * HOUR, 1, &[b_admin], 1),
            bucket(day + 7 * HOUR, 1, &[b_admin], 0),
        ]
    );
    let none = StatsScope::new(AccountId(999));
    assert!(store
        .activity(&none, from, to, BucketUnit::Hour)
        .await
        .unwrap()
        .is_empty());

    // Totals: r1 live, r2 archived, one DM; the five provisioned users, all seen just now.
    let totals = store
        .stats_totals(&a, Timestamp(day + 7 * HOUR))
        .await
        .unwrap();
    assert_eq!((totals.rooms, totals.dms), (1, 1));
    assert_eq!((totals.users, totals.users_active_24h), (5, 5));
    assert_eq!(totals.messages_24h, 2, "messages at or after `since`");
    w.chat
        .provision_user(ACC_A, a1.user(), Some("gone"), a1.role(), false)
        .await
        .unwrap();
    let later = store.stats_totals(&a, Timestamp::now()).await.unwrap();
    assert_eq!((later.users, later.messages_24h), (4, 0));
    assert!(later.users_active_24h <= 4);
}

fn sums(s: &Stats) -> (u64, u64) {
    s.series
        .iter()
        .fold((0, 0), |(m, r), p| (m + p.messages, r + p.rooms_created))
}

fn check_shape(s: &Stats, range: StatsRange) {
    assert_eq!(s.range, range);
    assert_eq!(s.bucket, range.unit());
    assert_eq!(s.series.len() as i64, range.buckets(), "{range}");
    assert_eq!(s.from, range.from(s.to));
    let unit = range.unit().millis();
    for (i, p) in s.series.iter().enumerate() {
        assert_eq!(p.ts.0, s.from.0 + i as i64 * unit, "{range}: bucket {i}");
        assert!(p.active_senders <= p.messages);
    }
    let last = s.series.last().unwrap().ts.0;
    assert!(
        last <= s.to.0 && s.to.0 < last + unit,
        "{range}: the last bucket holds now"
    );
}

/// `Chat::stats` through the facade: every bucket present and aligned, the messages and rooms
/// the test made counted once (deleted ones too), nothing of another account, backdated
/// activity in the right day and hour (a day composed of its hours), the same answer from the
/// cache; agents refused.
pub async fn stats_facade_counts_and_isolation(b: TestBackend) {
    let w = world(b).await;
    let (adm, sup) = (&w.a.admin, &w.a.supervisor);
    let (a0, a1) = (&w.a.agents[0], &w.a.agents[1]);
    let room = w.room(sup, "stats", &[a0, a1]).await;
    let dm = w.dm(a0, a1).await;
    let mut senders = BTreeSet::new();
    let mut sent = 0;
    for (who, n) in [(a0, 3), (a1, 2), (sup, 1)] {
        for i in 0..n {
            let m = w.send(who, room.id, &format!("m{i}")).await;
            senders.insert(who.user());
            sent += 1;
            if i == 0 && who.user() == a0.user() {
                w.chat.delete_message(a0, m.id).await.unwrap();
            }
        }
    }
    w.send(a0, dm.id, "dm").await;
    sent += 1;
    // Backdated: 3 days ago at 10:xx (two senders) and 2 hours ago, written to the store.
    let now = Timestamp::now().0;
    let d3 = BucketUnit::Day.floor(Timestamp(now)).0 - 3 * DAY + 10 * HOUR;
    message_at(&w, ACC_A, room.id, a0.user(), d3 + 5).await;
    message_at(&w, ACC_A, room.id, a1.user(), d3 + HOUR + 5).await;
    let h2 = BucketUnit::Hour.floor(Timestamp(now)).0 - 2 * HOUR;
    message_at(&w, ACC_A, room.id, a1.user(), h2 + 7).await;
    // Account B: its own activity, never in A's.
    let rb = w.room(&w.b.supervisor, "b", &[&w.b.agents[0]]).await;
    for _ in 0..4 {
        w.send(&w.b.agents[0], rb.id, "b").await;
    }

    for actor in [adm, sup] {
        let hour = w.chat.stats(actor, StatsRange::Hour).await.unwrap();
        check_shape(&hour, StatsRange::Hour);
        assert_eq!(sums(&hour), (sent, 1), "hour: what was sent now");
        let busiest = hour.series.iter().map(|p| p.active_senders).max().unwrap();
        assert!(busiest as usize <= senders.len() + 1);
        if hour.series.iter().filter(|p| p.messages > 0).count() == 1 {
            assert_eq!(busiest as usize, senders.len(), "one bucket: every sender");
        }

        let day = w.chat.stats(actor, StatsRange::Day).await.unwrap();
        check_shape(&day, StatsRange::Day);
        assert_eq!(sums(&day), (sent + 1, 1), "day: now plus two hours ago");
        let two_ago = day.series.iter().find(|p| p.ts.0 == h2).unwrap();
        assert_eq!((two_ago.messages, two_ago.active_senders), (1, 1));

        let month = w.chat.stats(actor, StatsRange::Month).await.unwrap();
        check_shape(&month, StatsRange::Month);
        assert_eq!(sums(&month), (sent + 3, 1));
        let third = month
            .series
            .iter()
            .find(|p| p.ts.0 == d3 - 10 * HOUR)
            .unwrap();
        assert_eq!(
            (third.messages, third.active_senders, third.rooms_created),
            (2, 2, 0),
            "a day is the union of its hours"
        );
        // Asked again (ended buckets now from the cache): the same figures.
        let again = w.chat.stats(actor, StatsRange::Month).await.unwrap();
        assert_eq!(again.series.len(), month.series.len());
        if again.from == month.from {
            assert_eq!(sums(&again), sums(&month));
            assert_eq!(again.series[..29], month.series[..29]);
        }

        assert_eq!(month.totals.rooms, 1);
        assert_eq!(month.totals.dms, 1);
        assert_eq!(month.totals.users, 5);
        assert_eq!(month.totals.users_active_24h, 5);
        assert_eq!(month.totals.messages_24h, sent + 1);
    }

    let bstats = w.chat.stats(&w.b.admin, StatsRange::Month).await.unwrap();
    assert_eq!(sums(&bstats), (4, 1), "B sees only its own");
    assert_eq!((bstats.totals.rooms, bstats.totals.dms), (1, 0));
    assert_eq!(bstats.totals.messages_24h, 4);

    let before = w.both().await;
    for range in StatsRange::ALL {
        forbidden(w.chat.stats(a0, *range).await, "agent stats");
    }
    assert_eq!(before, w.both().await, "a refused read wrote nothing");
}

fn filters() -> Map<String, serde_json::Value> {
    let mut m = Map::new();
    m.insert("format".into(), json!("csv"));
    m
}

fn audit_entry(account: AccountId, actor: UserId, i: usize, at: i64) -> AuditEntry {
    AuditEntry {
        id: AuditId::new(),
        account_id: account,
        actor_id: Some(actor),
        action: if i % 2 == 0 {
            AuditAction::RoomUpdated
        } else {
            AuditAction::MemberAdded
        },
        target_id: format!("t{}", i % 3),
        metadata: json!({ "i": i }),
        created_at: Timestamp(at),
    }
}

/// Everything an export returns, page by page.
async fn drain(x: &mut crate::chat::AuditExport) -> Vec<AuditEntry> {
    let mut all = Vec::new();
    while let Some(page) = x.next_page().await.unwrap() {
        assert!(!page.is_empty());
        all.extend(page);
    }
    assert!(x.next_page().await.unwrap().is_none(), "over stays over");
    all
}

/// `Chat::export_audit`: admins only, nothing written on refusal; its own `audit.exported`
/// entry (filters and format in the metadata) committed before the first page and not in
/// the export; every matching entry oldest first across many pages (the listing reversed);
/// filters and the time range applied; one export at a time per account (`Busy`), the slot
/// freed when the export is dropped; another account's export is not held up and sees
/// nothing of this one's.
pub async fn audit_export_pages_oldest_first(b: TestBackend) {
    let w = world(b).await;
    let adm = &w.a.admin;
    // More than two pages of entries, many sharing a millisecond (ties broken by id).
    let base = Timestamp::now().0 - DAY;
    let n = crate::chat::EXPORT_PAGE as usize * 2 + 7;
    let mut write = Write::new(ACC_A, Op::RecordOnly);
    for i in 0..n {
        write = write.audit(audit_entry(ACC_A, adm.user(), i, base + (i / 3) as i64));
    }
    w.backend.store.apply(write).await.unwrap();
    let b_write =
        Write::new(ACC_B, Op::RecordOnly).audit(audit_entry(ACC_B, w.b.admin.user(), 0, base));
    w.backend.store.apply(b_write).await.unwrap();

    // Refusals write nothing.
    let before = w.both().await;
    for who in [&w.a.supervisor, &w.a.agents[0]] {
        forbidden(
            w.chat
                .export_audit(who, AuditFilter::default(), filters())
                .await,
            "export",
        );
    }
    let backwards = AuditFilter {
        from: Some(Timestamp(base + 10)),
        to: Some(Timestamp(base + 10)),
        ..Default::default()
    };
    invalid(
        w.chat.export_audit(adm, backwards, filters()).await,
        "empty range",
    );
    assert_eq!(before, w.both().await, "a refused export wrote nothing");

    let listed = w.audit(ACC_A).await;
    let mut x = w
        .chat
        .export_audit(adm, AuditFilter::default(), filters())
        .await
        .unwrap();
    let after = w.audit(ACC_A).await;
    assert_eq!(
        after.len(),
        listed.len() + 1,
        "audited before the first page"
    );
    let own = &after[0];
    assert_eq!(own.action, AuditAction::AuditExported);
    assert_eq!(own, x.entry());
    assert_eq!(own.actor_id, Some(adm.user()));
    assert_eq!(own.metadata["format"], "csv");
    assert!(own.metadata["filters"].is_object());
    assert_eq!(x.to(), own.created_at);
    assert_eq!(x.from(), None);
    // A second export of the account waits; another account's does not.
    match w
        .chat
        .export_audit(adm, AuditFilter::default(), filters())
        .await
    {
        Err(ChatError::Busy(secs)) => assert!(secs >= 1),
        other => panic!("second export: {other:?}"),
    }
    let b_listed = w.audit(ACC_B).await;
    let mut xb = w
        .chat
        .export_audit(&w.b.admin, AuditFilter::default(), filters())
        .await
        .unwrap();
    let b_rows = drain(&mut xb).await;
    assert_eq!(b_rows.len(), b_listed.len());
    assert!(b_rows.iter().all(|e| e.account_id == ACC_B));
    let rows = drain(&mut x).await;
    let mut expected = listed.clone();
    expected.reverse();
    assert_eq!(
        rows, expected,
        "the listing, oldest first, without the export's own entry"
    );
    assert!(rows.iter().all(|e| e.account_id == ACC_A));
    drop(x);

    // The slot is free again; filters and ranges apply.
    let filter = AuditFilter {
        action: Some(AuditAction::MemberAdded),
        target_id: Some("t1".into()),
        from: Some(Timestamp(base + 30)),
        to: Some(Timestamp(base + 300)),
        ..Default::default()
    };
    let mut x = w
        .chat
        .export_audit(adm, filter.clone(), filters())
        .await
        .unwrap();
    assert_eq!((x.from(), x.to()), (filter.from, Timestamp(base + 300)));
    let rows = drain(&mut x).await;
    let want: Vec<AuditEntry> = expected
        .iter()
        .filter(|e| e.action == AuditAction::MemberAdded && e.target_id == "t1")
        .filter(|e| e.created_at.0 >= base + 30 && e.created_at.0 < base + 300)
        .cloned()
        .collect();
    assert!(!want.is_empty());
    assert_eq!(rows, want);
    let last = w.audit(ACC_A).await.remove(0);
    assert_eq!(last.metadata["filters"]["action"], "member.added");
    assert_eq!(last.metadata["filters"]["target_id"], "t1");
}
