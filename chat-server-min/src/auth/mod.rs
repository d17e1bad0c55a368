//! Authentication: user tokens ([`jwt`]: HS256 JWTs signed by the host platform), the service
//! token ([`service`]), realtime connection tickets ([`tickets`]) and the random tokens they
//! are made of ([`random`]).
//!
//! Verification only establishes *who* calls; [`chat_core::Chat::enter`] then admits them
//! (entitlements, deactivation, directory upsert) and the library decides what they may do.

pub mod jwt;
pub mod random;
pub mod service;
pub mod tickets;

use http::HeaderMap;

pub use jwt::{claims_for, mint, mint_claims, token_deadline, Claims, Verifier};
pub use random::random_hex;
pub use service::check_service;
pub use tickets::{Grant, Tickets};

/// The bearer token of an `Authorization` header, if there is exactly one well-formed one.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let (scheme, token) = value.to_str().ok()?.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
