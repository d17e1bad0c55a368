//! Hostile and malformed clients, black-box against the real server over raw TCP: requests
//! hyper refuses to parse get the contract's JSON error and `X-Request-Id`; connections over
//! the cap are closed at once; silent, idle and slowloris connections end at the header
//! deadline.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use std::time::{Duration, Instant};

use common::{config, start};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Status, lower-cased headers and body of a raw HTTP/1.1 answer.
fn parse(answer: &str) -> (u16, Vec<(String, String)>, String) {
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete head in {answer:?}"));
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_hyper_refuses_get_the_contract_error() {
    let s = start(config()).await;
    let many_headers: String = (0..10_000).map(|i| format!("x-h{i}: v\r\n")).collect();
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "NUL in a header value",
            b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\0b\r\n\r\n".to_vec(),
            400,
            "bad_request",
        ),
        (
            "folded header (obs-fold)",
            b"GET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\r\n  b\r\n\r\n".to_vec(),
            400,
            "bad_request",
        ),
        (
            "conflicting Content-Length",
            b"POST /healthz HTTP/1.1\r\nhost: x\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab"
                .to_vec(),
            400,
            "bad_request",
        ),
        (
            "malformed request line",
            b"GET/healthz HTTP/1.1\r\nhost: x\r\n\r\n".to_vec(),
            400,
            "bad_request",
        ),
        (
            "unknown HTTP version",
            b"GET /healthz HTTP/7.3\r\nhost: x\r\n\r\n".to_vec(),
            400,
            "bad_request",
        ),
        (
            "100 KB URI",
            format!("GET /{} HTTP/1.1\r\nhost: x\r\n\r\n", "a".repeat(100_000)).into_bytes(),
            414,
            "uri_too_long",
        ),
        (
            "10,000 headers",
            format!("GET /healthz HTTP/1.1\r\nhost: x\r\n{many_headers}\r\n").into_bytes(),
            431,
            "headers_too_large",
        ),
    ];
    for (name, request, status, code) in cases {
        let answer = s.raw(&request).await;
        let (got, headers, body) = parse(&answer);
        assert_eq!(got, status, "{name}: {answer}");
        assert_eq!(
            header(&headers, "content-type"),
            Some("application/json"),
            "{name}"
        );
        let request_id = header(&headers, "x-request-id")
            .unwrap_or_else(|| panic!("{name}: no X-Request-Id in {answer}"));
        let v: serde_json::Value = serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("{name}: body not JSON ({e}): {body:?}"));
        assert_eq!(v["error"]["code"], code, "{name}");
        assert!(v["error"]["message"].as_str().is_some(), "{name}");
        assert_eq!(v["error"]["request_id"], request_id, "{name}");
        assert_eq!(
            header(&headers, "content-length"),
            Some(body.len().to_string().as_str()),
            "{name}"
        );
        assert_eq!(header(&headers, "connection"), Some("close"), "{name}");
    }
    // Counted under a bounded route label.
    let metrics = s.get("/metrics", None).await.text();
    assert!(
        metrics.contains("route=\"unparsed\""),
        "refusals are not in the metrics"
    );
    // A well-formed request on the same server is answered normally, with its own id.
    let res = s.get("/healthz", None).await;
    assert_eq!(res.status, 200);
    s.stop().await;
}

/// Reads until the server closes `sock` (EOF or reset); how long that took, or `None` if it
/// stayed open for `within`.
async fn closed_within(sock: &mut TcpStream, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match sock.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await
    .ok()
    .map(|()| start.elapsed())
}

/// A plain `GET` on a fresh connection; its status line, or `None` when the server closed it
/// without an answer.
async fn get_once(addr: std::net::SocketAddr, path: &str) -> Option<String> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8_lossy(&out).into_owned();
    (!text.is_empty()).then_some(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_closed_at_once_and_a_client_is_served_after() {
    const CAP: usize = 4;
    const OVER: usize = 6;
    let mut cfg = config();
    cfg.max_connections = CAP;
    let s = start(cfg).await;
    // CAP idle sockets hold every place (hyper is waiting for their request heads).
    let mut holders = Vec::new();
    for _ in 0..CAP {
        holders.push(TcpStream::connect(s.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Each further connection is accepted and closed at once, without an answer.
    for i in 0..OVER {
        let mut sock = TcpStream::connect(s.addr).await.unwrap();
        let _ = sock
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            .await;
        let took = closed_within(&mut sock, Duration::from_secs(2))
            .await
            .unwrap_or_else(|| panic!("connection {i} over the cap was left open"));
        assert!(
            took < Duration::from_secs(1),
            "connection {i} over the cap took {took:?} to close"
        );
    }
    // The holders are still served: the cap refuses newcomers, it does not drop anyone.
    holders[0]
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = tokio::time::timeout(Duration::from_secs(2), holders[0].read(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Once the others close, a normal client is served again.
    drop(holders);
    let deadline = Instant::now() + Duration::from_secs(3);
    let answer = loop {
        if let Some(a) = get_once(s.addr, "/metrics").await {
            break a;
        }
        assert!(
            Instant::now() < deadline,
            "no client served after the sockets closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let refused: u64 = answer
        .lines()
        .find_map(|l| l.strip_prefix("chat_connections_refused_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no refusal counter in {answer}"));
    assert!(refused >= OVER as u64, "refused {refused}");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slowloris_connections_end_at_the_header_deadline() {
    let mut cfg = config();
    cfg.header_read_timeout = Duration::from_secs(1);
    let s = start(cfg).await;
    let limit = Duration::from_secs(4);
    // A connection that never sends anything.
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    let took = closed_within(&mut idle, limit)
        .await
        .expect("a silent connection was kept open");
    assert!(
        took >= Duration::from_millis(900),
        "closed too early: {took:?}"
    );
    // A keep-alive connection, idle after one answered request.
    let mut kept = TcpStream::connect(s.addr).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = kept.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    closed_within(&mut kept, limit)
        .await
        .expect("an idle keep-alive connection was kept open");
    // A slowloris: a byte of header every 100 ms, forever.
    let mut slow = TcpStream::connect(s.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let (mut rd, mut wr) = slow.into_split();
    let trickle = tokio::spawn(async move {
        for b in b"x-slow: ".iter().chain(std::iter::repeat(&b'a')) {
            if wr.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let start = Instant::now();
    let mut out = Vec::new();
    let ended = tokio::time::timeout(limit, rd.read_to_end(&mut out)).await;
    assert!(
        ended.is_ok(),
        "a slowloris trickling its head kept the connection for {:?}",
        start.elapsed()
    );
    trickle.abort();
    // The server still serves.
    assert!(get_once(s.addr, "/healthz")
        .await
        .is_some_and(|a| a.starts_with("HTTP/1.1 200")));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgraded_websockets_keep_their_place_under_the_cap() {
    let mut cfg = config();
    cfg.max_connections = 2;
    let s = start(cfg).await;
    common::user(&s.chat, 1, 3, chat_core::AccountRole::Agent).await;
    let t3 = common::token(1, 3, chat_core::AccountRole::Agent);
    let a = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    let b = s.ws(1, "", Some(&t3), &[]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Both places are held by the upgraded connections: a newcomer is closed unanswered.
    assert_eq!(get_once(s.addr, "/healthz").await, None);
    drop(a);
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        if let Some(answer) = get_once(s.addr, "/healthz").await {
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "a closed WebSocket kept its place"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(b);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_after_a_pipelined_request_gets_the_contract_error_too() {
    let s = start(config()).await;
    let answer = s
        .raw(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\nGET /healthz HTTP/1.1\r\nhost: x\r\nx-a: a\0b\r\n\r\n")
        .await;
    let second = answer
        .match_indices("HTTP/1.1 ")
        .nth(1)
        .map(|(i, _)| &answer[i..])
        .unwrap_or_else(|| panic!("one answer only: {answer}"));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let (status, headers, body) = parse(second);
    assert_eq!(status, 400, "{answer}");
    assert!(header(&headers, "x-request-id").is_some(), "{answer}");
    assert!(body.contains("\"bad_request\""), "{answer}");
    s.stop().await;
}
