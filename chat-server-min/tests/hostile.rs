//! Hostile and malformed clients, black-box against the real server over raw TCP: requests
//! hyper refuses to parse get the contract's JSON error and `X-Request-Id`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod common;

use common::{config, start};

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
