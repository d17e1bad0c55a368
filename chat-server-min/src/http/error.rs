//! The one place where failures become HTTP responses.
//!
//! Every non-2xx response has the body
//! `{"error": {"code", "message", "request_id", "details"?}}`; internal details go to the log,
//! never to the client.

use chat_core::ChatError;
use http::StatusCode;
use serde_json::json;

use super::response::Reply;

/// A failed request: a library error, or one of the refusals only the server makes (the
/// library never sees bodies, budgets or URLs, so these are not [`ChatError`]s).
#[derive(Debug)]
pub enum ApiError {
    /// Anything the library reports.
    Chat(ChatError),
    /// The path's account is not the caller's (`403 account_mismatch`).
    AccountMismatch,
    /// A request body over the size limit (`413 payload_too_large`).
    PayloadTooLarge,
    /// Too many requests (`429 rate_limited`, with `Retry-After`): the write budget, the
    /// realtime connections of a user, or the ticket store.
    RateLimited {
        /// Seconds to wait; sent as at least 1.
        retry_after_secs: u64,
    },
    /// The path exists but not with this method (`405 method_not_allowed`, with `Allow`).
    MethodNotAllowed(String),
    /// The store cannot serve (`503 unavailable`): `/healthz` only. `reason` names why, for
    /// operators and load balancers: a [`chat_core::StorageFault`] code (`storage_full`,
    /// `storage_read_only`, `storage_corrupt`) or `store_unreachable`.
    Unavailable {
        /// The reason code.
        reason: &'static str,
    },
    /// `/ws` without a valid WebSocket handshake (`426 upgrade_required`, with
    /// `Upgrade: websocket` and `Sec-WebSocket-Version: 13`); the text says what is missing.
    UpgradeRequired(&'static str),
    /// A request hyper could not parse and refused before any handler ran: a malformed
    /// request line or header (NUL, obs-fold, conflicting `Content-Length`: `400
    /// bad_request`), a URI over 64 KiB (`414 uri_too_long`), too many or too large header
    /// fields (`431 headers_too_large`). Carries hyper's status.
    Unparsable(StatusCode),
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        Self::Chat(e)
    }
}

impl ApiError {
    /// The response for this error, carrying `request_id` in the body.
    pub fn into_reply(self, request_id: &str) -> Reply {
        match self {
            Self::Chat(e) => chat_error_reply(&e, request_id),
            Self::AccountMismatch => reply(
                StatusCode::FORBIDDEN,
                "account_mismatch",
                "account mismatch",
                request_id,
            ),
            Self::PayloadTooLarge => reply(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "payload too large",
                request_id,
            ),
            Self::RateLimited { retry_after_secs } => reply(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "rate limited",
                request_id,
            )
            .header("retry-after", retry_after_secs.max(1).to_string()),
            Self::MethodNotAllowed(allow) => reply(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "method not allowed on this path",
                request_id,
            )
            .header("allow", allow),
            Self::Unavailable { reason } => {
                let body = json!({"error": {
                    "code": "unavailable",
                    "message": "the store cannot serve requests",
                    "request_id": request_id,
                    "reason": reason,
                }});
                Reply::json_value(StatusCode::SERVICE_UNAVAILABLE, body)
            }
            Self::UpgradeRequired(what) => reply(
                StatusCode::UPGRADE_REQUIRED,
                "upgrade_required",
                what,
                request_id,
            )
            .header("upgrade", "websocket")
            .header("sec-websocket-version", "13"),
            Self::Unparsable(status) => {
                let (status, code, message) = match status.as_u16() {
                    414 => (status, "uri_too_long", "request URI too long"),
                    431 => (
                        status,
                        "headers_too_large",
                        "request header fields too large or too many",
                    ),
                    _ => (StatusCode::BAD_REQUEST, "bad_request", "malformed request"),
                };
                reply(status, code, message, request_id)
            }
        }
    }
}

/// `Retry-After` of `503 storage_unavailable`.
const STORAGE_RETRY_AFTER_SECS: &str = "10";

/// `{"error": {"code", "message", "request_id"}}` with this status.
fn reply(status: StatusCode, code: &str, message: &str, request_id: &str) -> Reply {
    let body = json!({"error": {
        "code": code,
        "message": message,
        "request_id": request_id,
    }});
    Reply::json_value(status, body)
}

fn chat_error_reply(e: &ChatError, request_id: &str) -> Reply {
    let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match e {
        ChatError::Internal(detail) => {
            tracing::error!(request_id, detail = %detail, "internal error")
        }
        // The store's error and its source chain, for whoever reads the logs.
        ChatError::Backend(b) => {
            tracing::error!(request_id, error = %b, source = ?b.source, "store failed")
        }
        ChatError::Storage { fault, source } => {
            tracing::error!(request_id, fault = fault.code(), error = %source, source = ?source.source, "storage fault")
        }
        _ => {}
    }
    let mut error = json!({
        "code": e.code(),
        "message": e.public_message(),
        "request_id": request_id,
    });
    if let ChatError::Validation(fields) = e {
        error["details"] = json!(fields);
    }
    let reply = Reply::json_value(status, json!({ "error": error }));
    match e {
        // A full queue drains in tens of milliseconds: the soonest whole second.
        ChatError::Overloaded => reply.header("retry-after", "1"),
        // An operator has to act (free space, remount): no point in retrying at once.
        ChatError::Storage { .. } => reply.header("retry-after", STORAGE_RETRY_AFTER_SECS),
        ChatError::Busy(secs) => reply.header("retry-after", (*secs).max(1).to_string()),
        _ => reply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_stay_private() {
        let r = ApiError::Chat(ChatError::internal("secret path /x")).into_reply("rid");
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
        let body = String::from_utf8(r.body.to_vec()).unwrap_or_default();
        assert!(!body.contains("secret"));
        assert!(body.contains("\"request_id\":\"rid\""));
    }

    #[test]
    fn validation_has_details_and_rate_limit_has_retry_after() {
        let r = ApiError::Chat(ChatError::invalid("name", "too long")).into_reply("r");
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        assert_eq!(v["error"]["details"][0]["field"], "name");
        let r = ApiError::RateLimited {
            retry_after_secs: 0,
        }
        .into_reply("r");
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| *k == "retry-after" && v == "1"));
    }

    #[test]
    fn a_storage_fault_is_503_with_retry_after_and_no_detail() {
        let e = ChatError::Storage {
            fault: chat_core::StorageFault::ReadOnly,
            source: chat_core::store::BackendError {
                store: "sqlite",
                source: "disk I/O error on /srv/secret.db".into(),
            },
        };
        let r = ApiError::Chat(e).into_reply("rid");
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        assert_eq!(v["error"]["code"], "storage_unavailable");
        assert!(!String::from_utf8_lossy(&r.body).contains("secret"));
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| *k == "retry-after" && v == "10"));
        let r = ApiError::Unavailable {
            reason: "storage_full",
        }
        .into_reply("rid");
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        assert_eq!(
            (r.status.as_u16(), &v["error"]["reason"]),
            (503, &json!("storage_full"))
        );
    }

    #[test]
    fn server_refusals_keep_their_wire_form() {
        for (e, status, code, message) in [
            (
                ApiError::AccountMismatch,
                403,
                "account_mismatch",
                "account mismatch",
            ),
            (
                ApiError::PayloadTooLarge,
                413,
                "payload_too_large",
                "payload too large",
            ),
            (
                ApiError::RateLimited {
                    retry_after_secs: 7,
                },
                429,
                "rate_limited",
                "rate limited",
            ),
        ] {
            let r = e.into_reply("rid");
            assert_eq!(r.status.as_u16(), status);
            let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
            assert_eq!(
                v,
                json!({"error": {"code": code, "message": message, "request_id": "rid"}})
            );
        }
    }
}
