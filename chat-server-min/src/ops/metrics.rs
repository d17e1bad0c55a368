//! Prometheus metrics, one registry per server.
//!
//! Labels stay bounded: HTTP metrics are labelled by method, route *template* (never the raw
//! path) and status; domain counters carry no account or user label, because the number of
//! accounts is unbounded (per-account usage belongs in the audit log, not in Prometheus).

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

/// Transports, the values of the `transport` label.
pub const TRANSPORTS: [&str; 2] = ["ws", "sse"];
/// Why realtime connections end, the values of the `reason` label.
pub const CLOSE_REASONS: [&str; 9] = [
    "client",
    "slow_consumer",
    "token_expired",
    "user_deactivated",
    "entitlement_denied",
    "keepalive_timeout",
    "protocol_error",
    "shutdown",
    "internal",
];

/// The server's metrics.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    /// `chat_messages_total`: messages stored (idempotent replays not counted).
    pub messages: IntCounter,
    /// `chat_rooms_created_total{type}`: rooms and DMs created.
    pub rooms_created: IntCounterVec,
    /// `chat_realtime_connections{transport}`: open WebSocket (`ws`) and SSE (`sse`)
    /// connections.
    pub realtime_connections: IntGaugeVec,
    /// `chat_realtime_events_delivered_total{transport}`: events written to sockets.
    pub realtime_events: IntCounterVec,
    /// `chat_realtime_closes_total{transport,reason}`: connections ended, by reason
    /// ([`CLOSE_REASONS`]; `slow_consumer` counts the consumers cut off for falling behind).
    pub realtime_closes: IntCounterVec,
    /// `chat_realtime_resumes_total{outcome}`: connections opened with a resume point, by
    /// outcome (`replayed` or `resync_required`).
    pub realtime_resumes: IntCounterVec,
    /// `chat_connections_open`: open TCP connections of the accept loop (upgraded WebSockets
    /// included), bounded by `Config::max_connections`.
    pub connections_open: IntGauge,
    /// `chat_connections_refused_total`: connections closed at once because
    /// `Config::max_connections` were open.
    pub connections_refused: IntCounter,
}

impl Metrics {
    /// Registers every metric in a fresh registry.
    // The names and labels below are constants and valid, so registration cannot fail; a unit
    // test constructs them.
    #[allow(clippy::expect_used)]
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "chat_http_requests_total",
                "HTTP requests by route template and status.",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "chat_http_request_duration_seconds",
                "HTTP request latency by route template and status.",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let messages =
            IntCounter::new("chat_messages_total", "Messages stored.").expect("valid metric");
        let rooms_created = IntCounterVec::new(
            Opts::new(
                "chat_rooms_created_total",
                "Rooms and DMs created, by type.",
            ),
            &["type"],
        )
        .expect("valid metric");
        let realtime_connections = IntGaugeVec::new(
            Opts::new(
                "chat_realtime_connections",
                "Open realtime connections, by transport (ws, sse).",
            ),
            &["transport"],
        )
        .expect("valid metric");
        let realtime_events = IntCounterVec::new(
            Opts::new(
                "chat_realtime_events_delivered_total",
                "Events written to realtime connections, by transport.",
            ),
            &["transport"],
        )
        .expect("valid metric");
        let realtime_closes = IntCounterVec::new(
            Opts::new(
                "chat_realtime_closes_total",
                "Realtime connections ended, by transport and reason.",
            ),
            &["transport", "reason"],
        )
        .expect("valid metric");
        let realtime_resumes = IntCounterVec::new(
            Opts::new(
                "chat_realtime_resumes_total",
                "Realtime connections opened with a resume point, by outcome (replayed, resync_required).",
            ),
            &["outcome"],
        )
        .expect("valid metric");
        let connections_open = IntGauge::new(
            "chat_connections_open",
            "Open TCP connections (upgraded WebSockets included).",
        )
        .expect("valid metric");
        let connections_refused = IntCounter::new(
            "chat_connections_refused_total",
            "Connections closed at once because the connection cap was reached.",
        )
        .expect("valid metric");
        // Every series exists from the start, so dashboards see zeros rather than gaps.
        for t in TRANSPORTS {
            realtime_connections.with_label_values(&[t]).set(0);
            realtime_events.with_label_values(&[t]).inc_by(0);
            for r in CLOSE_REASONS {
                realtime_closes.with_label_values(&[t, r]).inc_by(0);
            }
        }
        for o in ["replayed", "resync_required"] {
            realtime_resumes.with_label_values(&[o]).inc_by(0);
        }
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(messages.clone()),
            Box::new(rooms_created.clone()),
            Box::new(realtime_connections.clone()),
            Box::new(realtime_events.clone()),
            Box::new(realtime_closes.clone()),
            Box::new(realtime_resumes.clone()),
            Box::new(connections_open.clone()),
            Box::new(connections_refused.clone()),
        ] {
            registry.register(c).expect("unique metric");
        }
        Self {
            registry,
            requests,
            latency,
            messages,
            rooms_created,
            realtime_connections,
            realtime_events,
            realtime_closes,
            realtime_resumes,
            connections_open,
            connections_refused,
        }
    }

    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let status = status.to_string();
        let labels = [method, route, status.as_str()];
        self.requests.with_label_values(&labels).inc();
        self.latency.with_label_values(&labels).observe(seconds);
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders() {
        let m = Metrics::new();
        m.observe("GET", "/healthz", 200, 0.002);
        m.messages.inc();
        m.rooms_created.with_label_values(&["dm"]).inc();
        let text = m.render();
        assert!(text.contains(
            "chat_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ));
        assert!(text.contains("chat_messages_total 1"));
        assert!(text.contains("chat_rooms_created_total{type=\"dm\"} 1"));
        assert!(text.contains("chat_http_request_duration_seconds_bucket"));
        assert!(text.contains("chat_realtime_connections{transport=\"ws\"} 0"));
        assert!(text
            .contains("chat_realtime_closes_total{reason=\"slow_consumer\",transport=\"sse\"} 0"));
        assert!(text.contains("chat_realtime_resumes_total{outcome=\"resync_required\"} 0"));
    }
}
