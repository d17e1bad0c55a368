//! Response values built by handlers and turned into hyper responses in one place.

use std::convert::Infallible;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use serde::Serialize;

/// Why a streamed body stopped early. hyper then aborts the response (the connection closes
/// without the chunked body's last chunk), so the client sees a truncated body, never one
/// that looks complete.
pub type BodyError = Box<dyn std::error::Error + Send + Sync>;

/// The body of every response: a buffered one, or a stream (Server-Sent Events, the audit
/// export).
pub type ResponseBody = UnsyncBoxBody<Bytes, BodyError>;

/// A handler's answer, before the common headers are added.
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// `Content-Type` of `body` (`None` for an empty body).
    pub content_type: Option<&'static str>,
    /// Body bytes.
    pub body: Bytes,
    /// A streamed body, sent instead of `body` when set.
    pub stream: Option<ResponseBody>,
}

impl Reply {
    /// A JSON body. Serializing the library's types cannot fail; if it ever did, the client
    /// gets a 500 rather than a broken body.
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self {
                status,
                headers: Vec::new(),
                content_type: Some("application/json"),
                body: Bytes::from(body),
                stream: None,
            },
            Err(e) => {
                tracing::error!(error = %e, "response serialization failed");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    headers: Vec::new(),
                    content_type: Some("application/json"),
                    body: Bytes::from_static(
                        br#"{"error":{"code":"internal","message":"internal error"}}"#,
                    ),
                    stream: None,
                }
            }
        }
    }

    /// A JSON body from a `serde_json::Value`.
    pub fn json_value(status: StatusCode, value: serde_json::Value) -> Self {
        Self::json(status, &value)
    }

    /// `204 No Content`.
    pub fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            headers: Vec::new(),
            content_type: None,
            body: Bytes::new(),
            stream: None,
        }
    }

    /// A streamed body (Server-Sent Events).
    pub fn stream(status: StatusCode, content_type: &'static str, body: ResponseBody) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_type: Some(content_type),
            body: Bytes::new(),
            stream: Some(body),
        }
    }

    /// An empty response with this status (e.g. `101 Switching Protocols`).
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            ..Self::no_content()
        }
    }

    /// A body with an explicit content type.
    pub fn raw(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        Self {
            status,
            headers: Vec::new(),
            content_type: Some(content_type),
            body: body.into(),
            stream: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The hyper response, with `X-Request-Id`, `Cache-Control: no-store` and
    /// `X-Content-Type-Options: nosniff`.
    pub fn into_response(self, request_id: &str) -> Response<ResponseBody> {
        let body = match self.stream {
            Some(stream) => stream,
            None => Full::new(self.body)
                .map_err(|never: Infallible| match never {})
                .boxed_unsync(),
        };
        let mut res = Response::new(body);
        *res.status_mut() = self.status;
        let h = res.headers_mut();
        if let Some(ct) = self.content_type {
            h.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        // Answers are per caller unless a route says otherwise (the web client's assets).
        if !self
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("cache-control"))
        {
            h.insert(
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            );
        }
        h.insert(
            http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if let Ok(v) = HeaderValue::from_str(request_id) {
            h.insert(super::request_id::HEADER, v);
        }
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.append(name, v);
            }
        }
        // An API answer is data, never a document: nothing in it may load or run, and no
        // page may frame it. (A page sets its own policy.)
        if !h.contains_key(http::header::CONTENT_SECURITY_POLICY) {
            h.insert(
                http::header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
            );
        }
        res
    }

    /// This (buffered) reply as the bytes of a whole HTTP/1.1 response that closes the
    /// connection, with the same headers as [`Reply::into_response`], for answers written
    /// below hyper (a request hyper refused to parse; see `server::refusals`).
    pub fn into_http1_bytes(self, request_id: &str) -> Vec<u8> {
        let body = self.body.clone();
        let res = Self {
            stream: None,
            ..self
        }
        .into_response(request_id);
        let mut head = format!("HTTP/1.1 {}\r\n", res.status());
        for (name, value) in res.headers() {
            if let Ok(v) = value.to_str() {
                head.push_str(&format!("{name}: {v}\r\n"));
            }
        }
        let date = time::OffsetDateTime::now_utc().format(time::macros::format_description!(
            "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
        ));
        if let Ok(date) = date {
            head.push_str(&format!("date: {date}\r\n"));
        }
        head.push_str(&format!(
            "content-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        ));
        let mut out = head.into_bytes();
        out.extend_from_slice(&body);
        out
    }
}
