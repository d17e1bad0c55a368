//! The crash harness's traffic: senders that remember every acknowledged message and the one
//! send a kill may have left in doubt, and WebSocket subscribers that record every event id
//! and resume from the last one after each restart.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http::Method;
use serde_json::json;

use crate::client::{ws_connect, ws_next, Http};
use crate::spawn::Server;

/// A message the server acknowledged (`201`, or `200` for a `client_id` it already had).
#[derive(Debug, Clone)]
pub struct Acked {
    /// Room id as the API renders it.
    pub room: String,
    /// The `client_id` it was sent with.
    pub client_id: String,
    /// Message id as the API renders it.
    pub id: String,
    /// Its per-room `seq`.
    pub seq: i64,
}

/// One sender: a user on its own connection, sending back to back.
#[derive(Debug)]
pub struct Sender {
    /// User id.
    pub user: i64,
    token: String,
    next: u64,
    /// `(room, client_id)` of a send whose answer the kill cut off: it may or may not be
    /// stored, and is retried with the same `client_id` before anything new.
    pub pending: Option<(String, String)>,
    /// Everything acknowledged, in order.
    pub acked: Vec<Acked>,
}

impl Sender {
    /// A sender that has sent nothing yet.
    pub fn new(user: i64, token: String) -> Self {
        Self {
            user,
            token,
            next: 0,
            pending: None,
            acked: Vec::new(),
        }
    }

    /// Whether a send's outcome is unknown.
    pub fn in_doubt(&self) -> bool {
        self.pending.is_some()
    }

    /// Sends the pending message, or a new one. `Ok(None)`: no answer (the server is gone),
    /// the send stays pending; `Ok(Some(replayed))`: acknowledged, `replayed` when the server
    /// answered `200` (it had stored it before the kill).
    async fn send_one(
        &mut self,
        http: &Http,
        base: &str,
        account: i64,
        rooms: &[String],
    ) -> Result<Option<bool>, String> {
        let (room, client_id) = match self.pending.clone() {
            Some(p) => p,
            None => {
                self.next += 1;
                let room = rooms[(self.user as usize + self.next as usize) % rooms.len()].clone();
                let p = (room, format!("crash-{}-{}", self.user, self.next));
                self.pending = Some(p.clone());
                p
            }
        };
        let url = format!("{base}/api/v1/accounts/{account}/chat/rooms/{room}/messages");
        let body = json!({ "content": format!("m {client_id}"), "client_id": client_id });
        let Ok((status, bytes)) = http
            .send(Method::POST, &url, Some(&self.token), Some(&body))
            .await
        else {
            return Ok(None);
        };
        if status != 200 && status != 201 {
            return Err(format!(
                "send by user {}: HTTP {status}: {}",
                self.user,
                String::from_utf8_lossy(&bytes)
            ));
        }
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        let (Some(id), Some(seq)) = (v["id"].as_str(), v["seq"].as_i64()) else {
            return Err(format!("send answered without id or seq: {v}"));
        };
        if v["client_id"].as_str() != Some(client_id.as_str()) {
            return Err(format!(
                "send of {client_id} answered with another message: {v}"
            ));
        }
        self.acked.push(Acked {
            room,
            client_id,
            id: id.to_owned(),
            seq,
        });
        self.pending = None;
        Ok(Some(status == 200))
    }
}

/// What a round of sends did.
#[derive(Debug, Default)]
pub struct Sent {
    /// Sends acknowledged.
    pub acked: u64,
    /// Of which retries of an in-doubt send that the server had stored before the kill.
    pub replayed: u64,
}

impl Sent {
    fn add(&mut self, outcome: Option<bool>) {
        if let Some(replayed) = outcome {
            self.acked += 1;
            self.replayed += u64::from(replayed);
        }
    }
}

/// Every sender sends back to back (its in-doubt send first) until the server, killed with
/// `SIGKILL` after `kill_after`, stops answering.
pub async fn send_until_killed(
    senders: &mut Vec<Sender>,
    http: &Http,
    base: &str,
    account: i64,
    rooms: &Arc<Vec<String>>,
    server: &mut Server,
    kill_after: Duration,
) -> Result<Sent, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = std::mem::take(senders)
        .into_iter()
        .map(|mut s| {
            let (http, base, rooms, stop) =
                (http.clone(), base.to_owned(), rooms.clone(), stop.clone());
            tokio::spawn(async move {
                let mut sent = Sent::default();
                while !stop.load(Ordering::Relaxed) {
                    match s.send_one(&http, &base, account, &rooms).await {
                        Ok(Some(replayed)) => sent.add(Some(replayed)),
                        Ok(None) => break,
                        Err(e) => return (s, sent, Err(e)),
                    }
                }
                (s, sent, Ok(()))
            })
        })
        .collect();
    tokio::time::sleep(kill_after).await;
    // SIGKILL: no shutdown code of the server runs.
    server
        .child
        .start_kill()
        .map_err(|e| format!("kill: {e}"))?;
    tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .map_err(|_| "the killed server did not exit within 10 s")?
        .map_err(|e| e.to_string())?;
    stop.store(true, Ordering::Relaxed);
    let mut total = Sent::default();
    let mut failure = None;
    for t in tasks {
        let (s, sent, result) = t.await.map_err(|e| e.to_string())?;
        senders.push(s);
        total.acked += sent.acked;
        total.replayed += sent.replayed;
        if let Err(e) = result {
            failure.get_or_insert(e);
        }
    }
    senders.sort_by_key(|s| s.user);
    failure.map_or(Ok(total), Err)
}

/// Retries every in-doubt send once against a running server; each must be acknowledged.
pub async fn retry_in_doubt(
    senders: &mut [Sender],
    http: &Http,
    base: &str,
    account: i64,
) -> Result<Sent, String> {
    let mut sent = Sent::default();
    for s in senders.iter_mut().filter(|s| s.in_doubt()) {
        let outcome = s.send_one(http, base, account, &[]).await?;
        if outcome.is_none() {
            return Err(format!("retry by user {} got no answer", s.user));
        }
        sent.add(outcome);
    }
    Ok(sent)
}

/// A WebSocket subscriber's record.
#[derive(Debug, Default)]
pub struct Seen {
    /// Event ids received, in order of arrival, over every connection.
    pub ids: Vec<i64>,
    /// What went wrong (an id repeated or out of order, a `resync_required`).
    pub problems: Vec<String>,
    /// Connections opened.
    pub connections: u64,
}

/// A live subscriber of the account's events.
#[derive(Debug)]
pub struct Subscriber {
    /// User id.
    pub user: i64,
    token: String,
    /// The log's head when it subscribed: it must see every event after it.
    pub start: i64,
    seen: Mutex<Seen>,
}

impl Subscriber {
    /// A subscriber from `start` on.
    pub fn new(user: i64, token: String, start: i64) -> Arc<Self> {
        Arc::new(Self {
            user,
            token,
            start,
            seen: Mutex::new(Seen::default()),
        })
    }

    /// What it has seen so far.
    pub fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Keeps `sub` subscribed until `done`: on every disconnect (a kill) it reconnects, as a
/// client would, with `since` = the last id it received.
pub async fn subscribe(
    sub: Arc<Subscriber>,
    addr: SocketAddr,
    account: i64,
    done: Arc<AtomicBool>,
) {
    while !done.load(Ordering::Relaxed) {
        let since = sub.seen().ids.last().copied().unwrap_or(sub.start);
        let Ok(mut ws) = ws_connect(addr, account, &sub.token, Some(since)).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        sub.seen().connections += 1;
        while let Some(event) = ws_next(&mut ws).await {
            let mut seen = sub.seen();
            if event["type"] == "resync_required" {
                seen.problems.push(format!("resync_required after {since}"));
            }
            let Some(id) = event["id"].as_i64() else {
                continue; // ephemeral: presence, typing, pong
            };
            let last = seen.ids.last().copied().unwrap_or(sub.start);
            if id <= last {
                seen.problems
                    .push(format!("event {id} after {last}: repeated or out of order"));
            }
            seen.ids.push(id);
        }
    }
}
