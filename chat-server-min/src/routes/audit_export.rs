//! `GET /audit/export` (v1.1, admins): the audit log as a CSV or JSONL download, streamed.
//!
//! The library does the rules (admins only, the `audit.exported` entry committed before this
//! handler answers, one export at a time per account, the keyset pages); this module renders
//! each page as it arrives, so the response never holds more than one page.
//!
//! A store error mid-stream ends the body with an error: hyper then aborts the response (the
//! chunked body never gets its last chunk; the connection closes), so the client sees a
//! truncated download rather than a file that looks complete. The error goes to the log with
//! the request id. Nothing else can be done once the status line has gone out.

use bytes::Bytes;
use chat_core::{AuditEntry, AuditExport, ChatError, Timestamp};
use futures_util::stream;
use http::StatusCode;
use http_body::Frame;
use http_body_util::{BodyExt, StreamBody};
use serde_json::{json, Map, Value};

use super::{HandlerResult, UserCall};
use crate::http::csv::{self, Delimiter};
use crate::http::{BodyError, Reply};

/// The CSV header row.
const COLUMNS: [&str; 7] = [
    "id",
    "created_at",
    "actor_id",
    "action",
    "target_id",
    "request_id",
    "metadata",
];

/// How the export is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv(Delimiter),
    Jsonl,
}

impl Format {
    fn parse(c: &UserCall) -> Result<Self, ChatError> {
        let delimiter = match c.query.get("delimiter")? {
            None | Some("comma") => Delimiter::Comma,
            Some("semicolon") => Delimiter::Semicolon,
            Some(_) => {
                return Err(ChatError::invalid(
                    "delimiter",
                    "must be comma or semicolon",
                ))
            }
        };
        match c.query.get("format")? {
            None | Some("csv") => Ok(Format::Csv(delimiter)),
            Some("jsonl") if c.query.get("delimiter")?.is_some() => {
                Err(ChatError::invalid("delimiter", "only for format=csv"))
            }
            Some("jsonl") => Ok(Format::Jsonl),
            Some(_) => Err(ChatError::invalid("format", "must be csv or jsonl")),
        }
    }

    /// What the `audit.exported` entry records of it.
    fn describe(self) -> Map<String, Value> {
        let mut m = Map::new();
        match self {
            Format::Csv(d) => {
                m.insert("format".into(), json!("csv"));
                m.insert("delimiter".into(), json!(d.name()));
            }
            Format::Jsonl => {
                m.insert("format".into(), json!("jsonl"));
            }
        }
        m
    }

    fn extension(self) -> &'static str {
        match self {
            Format::Csv(_) => "csv",
            Format::Jsonl => "jsonl",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv(_) => "text/csv; charset=utf-8",
            Format::Jsonl => "application/x-ndjson",
        }
    }

    /// What comes before the first entry.
    fn preamble(self) -> String {
        match self {
            Format::Csv(d) => {
                let mut s = String::from(csv::BOM);
                csv::record(&mut s, d, COLUMNS);
                s
            }
            Format::Jsonl => String::new(),
        }
    }

    /// One page of entries.
    fn render(self, page: &[AuditEntry]) -> Result<String, serde_json::Error> {
        let mut out = String::new();
        for e in page {
            match self {
                Format::Csv(d) => {
                    let actor = e.actor_id.map(|u| u.0.to_string()).unwrap_or_default();
                    let request_id = e.metadata["request_id"].as_str().unwrap_or_default();
                    let cells = [
                        e.id.to_string(),
                        e.created_at.to_rfc3339(),
                        actor,
                        e.action.as_str().to_owned(),
                        e.target_id.clone(),
                        request_id.to_owned(),
                        serde_json::to_string(&e.metadata)?,
                    ];
                    csv::record(&mut out, d, cells.iter().map(String::as_str));
                }
                Format::Jsonl => {
                    out.push_str(&serde_json::to_string(e)?);
                    out.push('\n');
                }
            }
        }
        Ok(out)
    }
}

/// A time in a file name: RFC 3339 without `-` and `:` (basic ISO 8601, safe on every file
/// system), e.g. `20261203T113500.123Z`.
fn compact(t: Timestamp) -> String {
    t.to_rfc3339().replace(['-', ':'], "")
}

/// `GET /audit/export?format&delimiter&action&actor_id&target_id&from&to`: every matching
/// entry oldest first, as `audit-{account}-{from}-{to}.{csv|jsonl}` where `from` is
/// `beginning` when not given and `to` is the export's cut-off (the `to` asked for, or the
/// time of the export: entries written while it streams are not in it).
pub async fn export(c: UserCall) -> HandlerResult {
    let filter = super::audit::filter(&c)?;
    let format = Format::parse(&c)?;
    let export = c
        .app
        .chat
        .export_audit(&c.actor, filter, format.describe())
        .await?;
    let from = export
        .from()
        .map_or_else(|| "beginning".to_owned(), compact);
    let name = format!(
        "audit-{}-{}-{}.{}",
        c.actor.account().0,
        from,
        compact(export.to()),
        format.extension()
    );
    let request_id = c.actor.request_id().unwrap_or("-").to_owned();
    let body = body(export, format, request_id);
    Ok(
        Reply::stream(StatusCode::OK, format.content_type(), body).header(
            "content-disposition",
            format!("attachment; filename=\"{name}\""),
        ),
    )
}

/// The streamed body: the preamble, then one frame per page read.
fn body(export: AuditExport, format: Format, request_id: String) -> crate::http::ResponseBody {
    let preamble =
        stream::once(
            async move { Ok::<_, BodyError>(Frame::data(Bytes::from(format.preamble()))) },
        );
    let pages = stream::unfold(Some(export), move |state| {
        let request_id = request_id.clone();
        async move {
            let mut export = state?;
            match export.next_page().await {
                Ok(None) => None,
                Ok(Some(page)) => match format.render(&page) {
                    Ok(text) => Some((Ok(Frame::data(Bytes::from(text))), Some(export))),
                    Err(e) => Some((Err(failed(&request_id, e.to_string())), None)),
                },
                Err(e) => Some((Err(failed(&request_id, e.to_string())), None)),
            }
        }
    });
    let frames = futures_util::StreamExt::chain(preamble, pages);
    StreamBody::new(frames).boxed_unsync()
}

/// Logs why an export stopped early; the error ends (aborts) the response.
fn failed(request_id: &str, detail: String) -> BodyError {
    tracing::error!(request_id, error = %detail, "audit export failed mid-stream; response aborted");
    "audit export failed".into()
}
