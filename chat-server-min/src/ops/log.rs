//! JSON log lines: one object per event with `ts` (RFC 3339, UTC, milliseconds), `level`,
//! `target`, `message` and the event's fields at the top level.
//!
//! The per-request line (target [`ACCESS_TARGET`]) always has `request_id, method, route,
//! status, latency_ms, account_id, user_id` (the last two `null` when unknown). Nothing in the
//! server records message content or tokens.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// Target of the one-line-per-request events.
pub const ACCESS_TARGET: &str = "chat_server_min::access";

/// Fields every access line has, `null` when not known.
const ACCESS_FIELDS: [&str; 7] = [
    "request_id",
    "method",
    "route",
    "status",
    "latency_ms",
    "account_id",
    "user_id",
];

/// The JSON line formatter.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonLines;

struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::from(format!("{value:?}")));
    }
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut map = Map::new();
        map.insert(
            "ts".into(),
            Value::from(chat_core::Timestamp::now().to_rfc3339()),
        );
        map.insert(
            "level".into(),
            Value::from(meta.level().as_str().to_ascii_lowercase()),
        );
        map.insert("target".into(), Value::from(meta.target()));
        event.record(&mut Fields(&mut map));
        if meta.target() == ACCESS_TARGET {
            for f in ACCESS_FIELDS {
                map.entry(f).or_insert(Value::Null);
            }
        }
        writeln!(writer, "{}", Value::Object(map))
    }
}

/// A subscriber writing JSON lines to `writer`, filtered by `filter` (an `EnvFilter`
/// directive such as `info`).
pub fn subscriber<W>(writer: W, filter: &str) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .event_format(JsonLines)
        .with_writer(writer)
        .with_env_filter(EnvFilter::new(filter))
        .finish()
}

/// Installs the JSON subscriber on stderr for the process, filtered by `RUST_LOG` (default
/// `info`). Does nothing if a global subscriber is already set.
pub fn init_stderr() {
    let filter = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_owned());
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stderr, &filter));
}
