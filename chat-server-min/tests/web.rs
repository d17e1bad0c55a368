//! The web client as served: hashed assets (immutable, gzip when accepted, `304` on a
//! matching `ETag`), `/embed.js` for cross-origin hosts, the pages' policy headers, and the
//! dev mode's `/dev` and `POST /dev/token` (absent without it, strict about their input).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read as _;

use http::Method;
use serde_json::json;

use common::{config, start, Server};

async fn dev_server() -> Server {
    let mut c = config();
    c.dev = true;
    c.embed_origins = vec!["https://hub.example".into()];
    start(c).await
}

/// The `/assets/…` paths a text references (as written by the bundle: relative to its URL).
fn asset_refs(text: &str) -> Vec<String> {
    text.match_indices("assets/")
        .map(|(i, _)| {
            let rest = &text[i..];
            let end = rest.find(['"', '\'']).unwrap_or(rest.len());
            format!("/{}", &rest[..end])
        })
        .collect()
}

#[tokio::test]
async fn embed_js_and_its_imports_are_served_for_any_host() {
    let s = dev_server().await;
    let js = s.get("/embed.js", None).await;
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type").unwrap(),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(js.header("access-control-allow-origin").unwrap(), "*");
    assert_eq!(js.header("cache-control").unwrap(), "no-cache");
    assert_eq!(js.header("x-content-type-options").unwrap(), "nosniff");
    assert!(js.text().contains("export function mount"));
    let etag = js.header("etag").unwrap();
    let again = s
        .send(
            Method::GET,
            "/embed.js",
            None,
            None,
            &[("if-none-match", &etag)],
        )
        .await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    let imports = asset_refs(&js.text());
    assert!(!imports.is_empty(), "embed.js imports the handshake module");
    for path in imports {
        let a = s.get(&path, None).await;
        assert_eq!(a.status, 200, "{path}");
        assert_eq!(
            a.header("cache-control").unwrap(),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(a.header("access-control-allow-origin").unwrap(), "*");
        assert_eq!(a.header("vary").unwrap(), "Accept-Encoding");
        let name = path.rsplit('/').next().unwrap();
        let parts: Vec<&str> = name.split('.').collect();
        assert_eq!(parts.len(), 3, "{name}: name.hash.ext");
        assert_eq!(parts[1].len(), 12);
        assert!(parts[1].bytes().all(|b| b.is_ascii_hexdigit()));
    }
}

#[tokio::test]
async fn large_assets_are_gzipped_when_accepted() {
    let s = dev_server().await;
    let page = s.get("/dev", None).await;
    let mut checked = 0;
    // Every asset the demo page names, then everything those import: find one that gzips.
    let mut queue = asset_refs(&page.text());
    while let Some(path) = queue.pop() {
        let plain = s.get(&path, None).await;
        assert_eq!(plain.status, 200, "{path}");
        assert!(plain.header("content-encoding").is_none());
        let zipped = s
            .send(
                Method::GET,
                &path,
                None,
                None,
                &[("accept-encoding", "gzip, br")],
            )
            .await;
        if zipped.header("content-encoding").as_deref() == Some("gzip") {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&zipped.body[..])
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out, plain.body, "{path}");
            assert!(zipped.body.len() < plain.body.len());
            checked += 1;
        }
        let refused = s
            .send(
                Method::GET,
                &path,
                None,
                None,
                &[("accept-encoding", "gzip;q=0")],
            )
            .await;
        assert!(refused.header("content-encoding").is_none());
        if path.ends_with(".js") {
            let dir = &path[..path.rfind('/').unwrap() + 1];
            for (i, _) in plain.text().match_indices("from \"./") {
                let rest = &plain.text()[i + 8..];
                let end = rest.find('"').unwrap();
                queue.push(format!("{dir}{}", &rest[..end]));
            }
        }
    }
    assert!(
        checked > 0,
        "at least one asset of the demo page is large enough to gzip"
    );
}

#[tokio::test]
async fn unknown_and_escaping_asset_paths_are_404() {
    let s = dev_server().await;
    for path in [
        "/assets/embed.js",
        "/assets/lib/handshake.000000000000.js",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
        "/assets/",
    ] {
        let r = s.get(path, None).await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.error_code(), "not_found");
    }
    let r = s.send(Method::POST, "/embed.js", None, None, &[]).await;
    assert_eq!(r.status, 405);
}

#[tokio::test]
async fn the_dev_page_has_its_policy_and_configuration() {
    let s = dev_server().await;
    let r = s.get("/dev", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type").unwrap(),
        "text/html; charset=utf-8"
    );
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.starts_with("default-src 'none'; script-src 'self'; style-src 'self';"));
    assert!(csp.contains("frame-src 'self'"), "{csp}");
    assert!(csp.ends_with("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(r.header("x-frame-options").unwrap(), "DENY");
    assert_eq!(r.header("referrer-policy").unwrap(), "no-referrer");
    assert_eq!(r.header("cache-control").unwrap(), "no-store");
    assert_eq!(r.header("x-content-type-options").unwrap(), "nosniff");
    let html = r.text();
    assert!(!html.contains("<!--chat:config-->"));
    let own = format!("http://{}", s.addr);
    assert!(
        html.contains(&format!(
            "&quot;embedOrigins&quot;:[&quot;https://hub.example&quot;,&quot;{own}&quot;]"
        )),
        "{html}"
    );
    for path in asset_refs(&html) {
        assert_eq!(s.get(&path, None).await.status, 200, "{path}");
    }
}

#[tokio::test]
async fn dev_routes_do_not_exist_without_dev_mode() {
    let s = start(config()).await;
    assert_eq!(s.get("/dev", None).await.status, 404);
    let body = json!({"account_id": 1, "user_id": 3, "role": "agent", "name": "Alice"});
    let r = s.json(Method::POST, "/dev/token", None, body).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.error_code(), "not_found");
    // The public helper and assets are there in every mode.
    assert_eq!(s.get("/embed.js", None).await.status, 200);
}

#[tokio::test]
async fn dev_tokens_work_and_bad_requests_are_refused() {
    let s = dev_server().await;
    let ok =
        json!({"account_id": 1, "user_id": 3, "role": "agent", "name": "Alice", "ttl_secs": 120});
    let r = s.json(Method::POST, "/dev/token", None, ok).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let token = r.json()["token"].as_str().unwrap().to_owned();
    assert!(r.json()["expires_at"].as_str().unwrap().ends_with('Z'));
    let rooms = s.get("/api/v1/accounts/1/chat/rooms", Some(&token)).await;
    assert_eq!(rooms.status, 200);

    let bad = [
        (
            json!({"account_id": 1, "user_id": 3, "role": "root"}),
            "role",
        ),
        (
            json!({"account_id": 0, "user_id": 3, "role": "agent"}),
            "account_id",
        ),
        (
            json!({"account_id": 1, "user_id": -1, "role": "agent"}),
            "user_id",
        ),
        (
            json!({"account_id": 1, "user_id": 3, "role": "agent", "ttl_secs": 0}),
            "ttl_secs",
        ),
        (
            json!({"account_id": 1, "user_id": 3, "role": "agent", "ttl_secs": 999999}),
            "ttl_secs",
        ),
        (
            json!({"account_id": 1, "user_id": 3, "role": "agent", "name": " "}),
            "name",
        ),
        (
            json!({"account_id": 1, "user_id": 3, "role": "agent", "admin": true}),
            "admin",
        ),
        (
            json!({"account_id": "1", "user_id": 3, "role": "agent"}),
            "account_id",
        ),
    ];
    for (body, field) in bad {
        let r = s.json(Method::POST, "/dev/token", None, body.clone()).await;
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(r.error_code(), "validation_failed");
        let details = r.json()["error"]["details"].to_string();
        assert!(details.contains(field), "{body}: {details}");
    }
    let r = s
        .send(
            Method::POST,
            "/dev/token",
            None,
            Some(b"{not json".to_vec()),
            &[],
        )
        .await;
    assert_eq!(r.status, 422);
    let huge = vec![b' '; 70 * 1024];
    let r = s
        .send(Method::POST, "/dev/token", None, Some(huge), &[])
        .await;
    assert_eq!(r.status, 413);
}
