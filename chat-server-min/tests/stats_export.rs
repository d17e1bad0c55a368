//! v1.1 black-box: `GET /stats` against counts made by the test, and `GET /audit/export`
//! (CSV with neutralised formula cells and the listing's rows in reverse, JSONL, semicolons,
//! bad parameters, one export at a time per account, a store error mid-stream).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::Duration;

use chat_core::AccountRole;
use common::export::{an_hour_ago, parse_csv, seed_audit, unneutralise};
use common::*;
use http::Method;
use serde_json::{json, Value};

const A: &str = "/api/v1/accounts/1/chat";

async fn people(s: &Server, account: i64) {
    user(&s.chat, account, 1, AccountRole::Admin).await;
    user(&s.chat, account, 2, AccountRole::Supervisor).await;
    user(&s.chat, account, 3, AccountRole::Agent).await;
    user(&s.chat, account, 4, AccountRole::Agent).await;
}

fn sums(v: &Value) -> (u64, u64, u64) {
    v["series"]
        .as_array()
        .unwrap()
        .iter()
        .fold((0, 0, 0), |(m, a, r), p| {
            (
                m + p["messages"].as_u64().unwrap(),
                a.max(p["active_senders"].as_u64().unwrap()),
                r + p["rooms_created"].as_u64().unwrap(),
            )
        })
}

fn ms(v: &Value) -> i64 {
    chat_core::Timestamp::parse_rfc3339(v.as_str().unwrap())
        .unwrap()
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_buckets_match_what_the_test_sent() {
    let s = start(config()).await;
    people(&s, 1).await;
    people(&s, 2).await;
    let (admin, sup) = (
        token(1, 1, AccountRole::Admin),
        token(1, 2, AccountRole::Supervisor),
    );
    let (a3, a4) = (
        token(1, 3, AccountRole::Agent),
        token(1, 4, AccountRole::Agent),
    );
    let res = s
        .json(
            Method::POST,
            &format!("{A}/rooms"),
            Some(&sup),
            json!({"type": "room", "name": "Stats", "member_ids": [3, 4]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let room = res.json()["id"].as_str().unwrap().to_owned();
    let dm = s
        .json(
            Method::POST,
            &format!("{A}/rooms"),
            Some(&a3),
            json!({"type": "dm", "member_ids": [4]}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut sent = 0;
    let mut first = None;
    for (tok, room, n) in [(&a3, &room, 3), (&a4, &room, 2), (&a3, &dm, 1)] {
        for i in 0..n {
            let res = s
                .json(
                    Method::POST,
                    &format!("{A}/rooms/{room}/messages"),
                    Some(tok),
                    json!({"content": format!("m{i}")}),
                )
                .await;
            assert_eq!(res.status, 201);
            first.get_or_insert(res.json()["id"].as_str().unwrap().to_owned());
            sent += 1;
        }
    }
    // A deleted message still counts.
    let res = s
        .send(
            Method::DELETE,
            &format!("{A}/messages/{}", first.unwrap()),
            Some(&a3),
            None,
            &[],
        )
        .await;
    assert_eq!(res.status, 204);
    // Account 2's activity never shows in account 1's.
    let b_sup = token(2, 2, AccountRole::Supervisor);
    let rb = s
        .json(
            Method::POST,
            "/api/v1/accounts/2/chat/rooms",
            Some(&b_sup),
            json!({"type": "room", "name": "B", "member_ids": [3]}),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for _ in 0..4 {
        let path = format!("/api/v1/accounts/2/chat/rooms/{rb}/messages");
        s.json(Method::POST, &path, Some(&b_sup), json!({"content": "b"}))
            .await;
    }

    for tok in [&admin, &sup] {
        for (range, bucket, n, unit) in [
            ("hour", "minute", 60, 60_000),
            ("day", "hour", 24, 3_600_000),
            ("month", "day", 30, 86_400_000),
        ] {
            let res = s.get(&format!("{A}/stats?range={range}"), Some(tok)).await;
            assert_eq!(res.status, 200, "{}", res.text());
            let v = res.json();
            assert_eq!(
                (v["range"].as_str(), v["bucket"].as_str()),
                (Some(range), Some(bucket))
            );
            let series = v["series"].as_array().unwrap();
            assert_eq!(series.len(), n, "{range}: every bucket present");
            let (from, to) = (ms(&v["from"]), ms(&v["to"]));
            assert_eq!(ms(&series[0]["ts"]), from);
            for (i, p) in series.iter().enumerate() {
                assert_eq!(
                    ms(&p["ts"]),
                    from + i as i64 * unit,
                    "{range}: oldest first, aligned"
                );
                assert_eq!(ms(&p["ts"]) % unit, 0, "{range}: whole UTC {bucket}s");
            }
            let last = ms(&series[n - 1]["ts"]);
            assert!(
                last <= to && to < last + unit,
                "{range}: the last bucket holds now"
            );
            let (messages, busiest, rooms) = sums(&v);
            assert_eq!((messages, rooms), (sent, 1), "{range}");
            assert!(busiest <= 2);
            if series
                .iter()
                .filter(|p| p["messages"].as_u64() > Some(0))
                .count()
                == 1
            {
                assert_eq!(busiest, 2, "{range}: agents 3 and 4 sent");
            }
            assert_eq!(
                v["totals"],
                json!({"rooms": 1, "dms": 1, "users": 4, "users_active_24h": 4, "messages_24h": sent}),
                "{range}"
            );
        }
    }
    let b = s
        .get("/api/v1/accounts/2/chat/stats?range=day", Some(&b_sup))
        .await
        .json();
    assert_eq!(sums(&b).0, 4);
    assert_eq!(b["totals"]["messages_24h"], 4);

    // Refusals: agents, a bad range; nothing written.
    let before = s.snapshot();
    let res = s.get(&format!("{A}/stats?range=month"), Some(&a3)).await;
    assert_eq!((res.status, res.error_code().as_str()), (403, "forbidden"));
    for bad in ["range=week", "range=", "range=day&range=hour", "range=HOUR"] {
        let res = s.get(&format!("{A}/stats?{bad}"), Some(&admin)).await;
        assert_eq!(res.status, 422, "{bad}");
        assert_eq!(res.json()["error"]["details"][0]["field"], "range", "{bad}");
    }
    assert_eq!(before, s.snapshot());
    s.stop().await;
}

/// Every entry of `GET /audit`, newest first.
async fn listing(s: &Server, tok: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{A}/audit?limit=100&cursor={c}"),
            None => format!("{A}/audit?limit=100"),
        };
        let v = s.get(&path, Some(tok)).await.json();
        out.extend(v["items"].as_array().unwrap().iter().cloned());
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(form_urlencoded::byte_serialize(c.as_bytes()).collect()),
            None => return out,
        }
    }
}

/// Audit entries with cells a spreadsheet would run: request ids starting with `-` (the only
/// risky character a kept `X-Request-Id` can start with), a room name with `=`, `"`, `,` and
/// `;` (in the metadata JSON), and service-API entries with no actor.
async fn risky_history(s: &Server) {
    let sup = token(1, 2, AccountRole::Supervisor);
    let res = s
        .json(
            Method::POST,
            &format!("{A}/rooms"),
            Some(&sup),
            json!({"type": "room", "name": "=1+2", "member_ids": [3]}),
        )
        .await;
    let room = res.json()["id"].as_str().unwrap().to_owned();
    for (rid, name) in [
        ("-2-3", "=HYPERLINK(\"http://x\",\"y\")"),
        ("-cmd.exe", "a,b;c \"d\""),
    ] {
        let body = json!({"name": name}).to_string().into_bytes();
        let res = s
            .send(
                Method::PATCH,
                &format!("{A}/rooms/{room}"),
                Some(&sup),
                Some(body),
                &[("x-request-id", rid)],
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    let res = s
        .json(
            Method::PUT,
            &format!("{A}/users/9"),
            Some(SERVICE_TOKEN),
            json!({"name": "@nine", "role": "agent", "active": true}),
        )
        .await;
    assert_eq!(res.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_csv_jsonl_and_semicolons_are_the_listing_reversed() {
    let s = start(config()).await;
    people(&s, 1).await;
    people(&s, 2).await;
    risky_history(&s).await;
    let admin = token(1, 1, AccountRole::Admin);

    for (query, delimiter) in [("format=csv", ','), ("delimiter=semicolon", ';')] {
        let listed = listing(&s, &admin).await;
        let res = s
            .get(&format!("{A}/audit/export?{query}"), Some(&admin))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(
            res.header("content-type").as_deref(),
            Some("text/csv; charset=utf-8")
        );
        let disposition = res.header("content-disposition").unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"audit-1-beginning-")
                && disposition.ends_with(".csv\""),
            "{disposition}"
        );
        let text = res.text();
        let body = text.strip_prefix('\u{feff}').expect("a UTF-8 BOM");
        let records = parse_csv(body, delimiter);
        assert_eq!(
            records[0],
            [
                "id",
                "created_at",
                "actor_id",
                "action",
                "target_id",
                "request_id",
                "metadata"
            ]
        );
        let rows = &records[1..];
        assert_eq!(
            rows.len(),
            listed.len(),
            "every entry, not the export's own"
        );
        for (row, entry) in rows.iter().zip(listed.iter().rev()) {
            let row: Vec<String> = row.iter().map(|c| unneutralise(c)).collect();
            assert_eq!(row[0], entry["id"].as_str().unwrap());
            assert_eq!(row[1], entry["created_at"].as_str().unwrap());
            assert_eq!(
                row[2],
                entry["actor_id"]
                    .as_i64()
                    .map(|a| a.to_string())
                    .unwrap_or_default()
            );
            assert_eq!(row[3], entry["action"].as_str().unwrap());
            assert_eq!(row[4], entry["target_id"].as_str().unwrap());
            assert_eq!(
                row[5],
                entry["metadata"]["request_id"].as_str().unwrap_or_default()
            );
            let meta: Value = serde_json::from_str(&row[6]).unwrap();
            assert_eq!(meta, entry["metadata"]);
        }
        // The risky request ids arrived neutralised.
        for rid in ["-2-3", "-cmd.exe"] {
            assert!(records.iter().any(|r| r[5] == format!("'{rid}")), "{rid}");
        }
        assert!(
            rows.iter().any(|r| r[2].is_empty()),
            "service entries have no actor"
        );
        // The export is audited, with its filters and format.
        let own = &listing(&s, &admin).await[0];
        assert_eq!(own["action"], "audit.exported");
        assert_eq!(own["actor_id"], 1);
        assert_eq!(own["metadata"]["format"], "csv");
        let name = if delimiter == ',' {
            "comma"
        } else {
            "semicolon"
        };
        assert_eq!(own["metadata"]["delimiter"], name);
        assert_eq!(own["metadata"]["filters"]["action"], Value::Null);
    }

    // JSONL: one entry per line, exactly as GET /audit renders it, oldest first; filtered.
    let listed = listing(&s, &admin).await;
    let res = s
        .get(&format!("{A}/audit/export?format=jsonl"), Some(&admin))
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/x-ndjson")
    );
    assert!(res
        .header("content-disposition")
        .unwrap()
        .ends_with(".jsonl\""));
    let lines: Vec<Value> = res
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut reversed = listed.clone();
    reversed.reverse();
    assert_eq!(lines, reversed);
    assert!(res.text().ends_with('\n'));

    let from = listed
        .iter()
        .rev()
        .find(|e| e["action"] == "room.updated")
        .unwrap()["created_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = format!(
        "format=jsonl&action=room.updated&actor_id=2&from={}",
        form_urlencoded::byte_serialize(from.as_bytes()).collect::<String>()
    );
    let res = s.get(&format!("{A}/audit/export?{q}"), Some(&admin)).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let compact = from.replace(['-', ':'], "");
    assert!(res
        .header("content-disposition")
        .unwrap()
        .contains(&format!("audit-1-{compact}-")));
    let lines: Vec<Value> = res
        .text()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want: Vec<Value> = reversed
        .iter()
        .filter(|e| {
            e["action"] == "room.updated"
                && e["actor_id"] == 2
                && e["created_at"].as_str().unwrap() >= from.as_str()
        })
        .cloned()
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines, want);

    // Account 2's export holds nothing of account 1.
    let res = s
        .get(
            "/api/v1/accounts/2/chat/audit/export",
            Some(&token(2, 1, AccountRole::Admin)),
        )
        .await;
    assert!(!res.text().contains("=1+2") && !res.text().contains("-cmd.exe"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_export_parameters_are_422_and_write_nothing() {
    let s = start(config()).await;
    people(&s, 1).await;
    let admin = token(1, 1, AccountRole::Admin);
    let before = s.snapshot();
    for (q, field) in [
        ("format=xml", "format"),
        ("format=CSV", "format"),
        ("delimiter=tab", "delimiter"),
        ("format=jsonl&delimiter=comma", "delimiter"),
        ("format=csv&format=jsonl", "format"),
        ("action=room.exploded", "action"),
        ("actor_id=abc", "actor_id"),
        ("from=yesterday", "from"),
        ("to=2026-13-01T00:00:00Z", "to"),
        ("from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
        ("from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"),
    ] {
        let res = s.get(&format!("{A}/audit/export?{q}"), Some(&admin)).await;
        assert_eq!(res.status, 422, "{q}: {}", res.text());
        assert_eq!(res.json()["error"]["details"][0]["field"], field, "{q}");
    }
    for tok in [
        token(1, 2, AccountRole::Supervisor),
        token(1, 3, AccountRole::Agent),
    ] {
        let res = s.get(&format!("{A}/audit/export"), Some(&tok)).await;
        assert_eq!(res.status, 403);
    }
    assert_eq!(before, s.snapshot(), "a refused export wrote something");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_concurrent_export_is_refused_with_retry_after() {
    let s = start(config()).await;
    people(&s, 1).await;
    people(&s, 2).await;
    // ~24 MB of CSV: far more than the socket buffers, so the first export stays open while
    // its client does not read.
    seed_audit(&s.db, 1, 20_000, 1_000, an_hour_ago());
    let admin = token(1, 1, AccountRole::Admin);
    let first = s
        .open(&format!("{A}/audit/export"), Some(&admin), &[])
        .await;
    assert_eq!(first.status(), 200);
    tokio::time::sleep(Duration::from_millis(200)).await;

    let exported = |v: &[Value]| v.iter().filter(|e| e["action"] == "audit.exported").count();
    let listed = listing(&s, &admin).await;
    assert_eq!(exported(&listed), 1);
    let res = s
        .get(&format!("{A}/audit/export?format=jsonl"), Some(&admin))
        .await;
    assert_eq!(res.status, 429, "{}", res.text());
    assert_eq!(res.error_code(), "rate_limited");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
    assert_eq!(
        exported(&listing(&s, &admin).await),
        1,
        "the refused export is not audited"
    );
    // Another account is not held up.
    let res = s
        .get(
            "/api/v1/accounts/2/chat/audit/export",
            Some(&token(2, 1, AccountRole::Admin)),
        )
        .await;
    assert_eq!(res.status, 200);

    // The client goes away: the slot is free again.
    drop(first);
    let mut freed = false;
    for _ in 0..50 {
        let res = s
            .get(
                &format!("{A}/audit/export?format=jsonl&action=member.added"),
                Some(&admin),
            )
            .await;
        if res.status == 200 {
            freed = true;
            break;
        }
        assert_eq!(res.status, 429);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(freed, "the slot of an abandoned export was never freed");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_error_mid_stream_aborts_the_download() {
    use http_body_util::BodyExt;
    let s = start(config()).await;
    people(&s, 1).await;
    seed_audit(&s.db, 1, 20_000, 1_000, an_hour_ago());
    let admin = token(1, 1, AccountRole::Admin);
    let res = s
        .open(&format!("{A}/audit/export"), Some(&admin), &[])
        .await;
    assert_eq!(res.status(), 200);
    // The client has not read yet: the export waits on the socket, a few pages ahead. Now
    // the audit table goes away under it (as a failing disk would make every read fail).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let conn = rusqlite::Connection::open(&s.db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn.execute_batch("ALTER TABLE internal_chat_audit RENAME TO audit_gone")
        .unwrap();
    let mut body = res.into_body();
    let mut bytes = 0usize;
    let ended = loop {
        match body.frame().await {
            Some(Ok(f)) => bytes += f.data_ref().map_or(0, |d| d.len()),
            Some(Err(e)) => break Err(e),
            None => break Ok(()),
        }
    };
    assert!(
        ended.is_err(),
        "the body ended as if complete after {bytes} bytes"
    );
    assert!(bytes < 20_000 * 1_000, "it stopped early");
    conn.execute_batch("ALTER TABLE audit_gone RENAME TO internal_chat_audit")
        .unwrap();
    s.stop().await;
}
