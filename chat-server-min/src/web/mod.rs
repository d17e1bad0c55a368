//! The browser side as the server serves it (`web-client.md`): the pages `/embed` (the chat),
//! `/embed/admin` (the admin console) and, in dev mode, `/dev` (a demo host); the host helper
//! `/embed.js`; every other file of `web/src/` under `/assets/` with a content-hashed name.
//! The files are `web/`'s own — plain ES modules and CSS, no build step — embedded in release
//! builds ([`source`]); their references are rewritten to the hashed names ([`bundle`]).
//!
//! Pages carry their own policy ([`pages`]): a CSP that allows only this server's scripts,
//! styles and connections, and `frame-ancestors` from `CHAT_EMBED_ORIGINS`.
//!
//! Depends on `http` (replies) and `config` only; the route adapters live in `routes::web`.

pub mod bundle;
pub mod pages;
pub mod scan;
pub mod source;

pub use bundle::{Asset, Bundle, BundleError};
pub use source::Source;

use http::HeaderMap;

/// Whether the request accepts a gzip body (`Accept-Encoding` names `gzip` or `*` without
/// `q=0`).
pub fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.trim().parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_negotiation() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(http::header::ACCEPT_ENCODING, v.parse().unwrap());
            m
        };
        assert!(accepts_gzip(&h("gzip, deflate, br")));
        assert!(accepts_gzip(&h("br;q=1.0, GZIP;q=0.5")));
        assert!(accepts_gzip(&h("*")));
        assert!(!accepts_gzip(&h("gzip;q=0")));
        assert!(!accepts_gzip(&h("br, deflate")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }
}
