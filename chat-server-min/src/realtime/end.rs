//! Why a realtime connection ends, and how each transport says so: metric label, wire code,
//! WebSocket close code, human text. One table, so WS, SSE, metrics and `REALTIME.md` agree.

/// Why a realtime connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The client closed it (or the socket failed).
    Client,
    /// The client did not read fast enough: queue full or a write stalled too long.
    SlowConsumer,
    /// The token (or the ticket's token) expired.
    TokenExpired,
    /// The user was deactivated.
    Deactivated,
    /// The account's chat was disabled (entitlements).
    ChatDisabled,
    /// No frame from the client (not even a pong) for two ping intervals.
    KeepaliveTimeout,
    /// The client broke the WebSocket protocol.
    ProtocolError,
    /// A client frame exceeded the 16 KiB cap.
    TooBig,
    /// The server is shutting down.
    Shutdown,
    /// Reading the event log failed.
    Internal,
}

impl End {
    /// The `reason` metric label (one of [`crate::ops::metrics::CLOSE_REASONS`]).
    pub fn label(self) -> &'static str {
        match self {
            End::Client => "client",
            End::SlowConsumer => "slow_consumer",
            End::TokenExpired => "token_expired",
            End::Deactivated => "user_deactivated",
            End::ChatDisabled => "entitlement_denied",
            End::KeepaliveTimeout => "keepalive_timeout",
            End::ProtocolError | End::TooBig => "protocol_error",
            End::Shutdown => "shutdown",
            End::Internal => "internal",
        }
    }

    /// The machine-readable code sent to the client (WS close reason prefix, SSE error).
    pub fn code(self) -> &'static str {
        match self {
            End::TooBig => "message_too_big",
            End::Shutdown => "going_away",
            other => other.label(),
        }
    }

    /// The WebSocket close code.
    pub fn ws_close_code(self) -> u16 {
        match self {
            End::Client => 1000,
            End::Shutdown => 1001,
            End::ProtocolError => 1002,
            End::TooBig => 1009,
            End::Internal => 1011,
            End::KeepaliveTimeout => 4000,
            End::TokenExpired => 4001,
            End::Deactivated => 4003,
            End::ChatDisabled => 4004,
            End::SlowConsumer => 4008,
        }
    }

    /// Human text for the client (at most 123 bytes with the code: a WS close reason).
    pub fn message(self) -> &'static str {
        match self {
            End::Client => "closed",
            End::SlowConsumer => "too slow to keep up; reconnect with since=<last event id>",
            End::TokenExpired => {
                "token expired; reconnect with a new token or ticket and since=<last event id>"
            }
            End::Deactivated => "the user was deactivated",
            End::ChatDisabled => "the chat was disabled for this account",
            End::KeepaliveTimeout => "no pong or frame for two ping intervals",
            End::ProtocolError => "WebSocket protocol error",
            End::TooBig => "frames and messages are limited to 16 KiB",
            End::Shutdown => "server shutting down; reconnect with since=<last event id>",
            End::Internal => "internal error; reconnect with since=<last event id>",
        }
    }

    /// The error object sent on the wire: `{"type":"error","code","message"}`.
    pub fn error_json(self) -> String {
        error_frame(self.code(), self.message())
    }
}

/// `{"type":"error","code":…,"message":…}`.
pub fn error_frame(code: &str, message: &str) -> String {
    serde_json::json!({"type": "error", "code": code, "message": message}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_a_close_frame_and_have_metric_labels() {
        for end in [
            End::Client,
            End::SlowConsumer,
            End::TokenExpired,
            End::Deactivated,
            End::ChatDisabled,
            End::KeepaliveTimeout,
            End::ProtocolError,
            End::TooBig,
            End::Shutdown,
            End::Internal,
        ] {
            let reason = format!("{}: {}", end.code(), end.message());
            assert!(reason.len() <= 123, "{reason}");
            assert!(crate::ops::metrics::CLOSE_REASONS.contains(&end.label()));
        }
    }
}
