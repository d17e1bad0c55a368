//! Prometheus metrics, one registry per server.
//!
//! Labels stay bounded: HTTP metrics are labelled by method, route *template* (never the raw
//! path) and status; domain counters carry no account or user label, because the number of
//! accounts is unbounded (per-account usage belongs in the audit log, not in Prometheus).

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

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
    /// `chat_realtime_connections`: open WebSocket/SSE connections (maintained by the realtime
    /// transport; 0 while none is mounted).
    pub realtime_connections: IntGauge,
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
        let realtime_connections = IntGauge::new(
            "chat_realtime_connections",
            "Open realtime (WebSocket and SSE) connections.",
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(messages.clone()),
            Box::new(rooms_created.clone()),
            Box::new(realtime_connections.clone()),
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
        assert!(text.contains("chat_realtime_connections 0"));
    }
}
