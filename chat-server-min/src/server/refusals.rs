//! Requests hyper refuses before our service runs get the contract's error.
//!
//! hyper 1.x parses the request head itself and, when it cannot (a NUL or an obs-fold in a
//! header, conflicting `Content-Length`, a malformed request line, a URI over 64 KiB, more
//! header fields than [`super::MAX_HEADERS`] or a head over hyper's buffer), writes an
//! automatic bare response (`400`, `414` or `431` with an empty body) and closes the
//! connection; no option turns that off and the service never sees the request. [`Guarded`]
//! wraps the socket under hyper and replaces exactly that automatic response, recognised by
//! its shape (a `400`/`414`/`431` head without `X-Request-Id`, which every response of ours
//! carries), with the same status and the JSON error body of [`ApiError::Unparsable`] plus a
//! fresh `X-Request-Id` — before a byte of it reaches the client. The accept loop logs and
//! counts the refusal from [`Refused`] when the connection ends.
//!
//! What stays bare: nothing is written when a client times out sending its head (the
//! connection just closes), and a client that sends an HTTP/2 preface on this HTTP/1 port gets
//! no answer (hyper returns an error instead of a response). A client that pipelines requests
//! and stops reading can make hyper queue the refusal behind the unsent rest of an earlier
//! response in one write; that write is passed through as it is, so such a client may get the
//! bare status (a pipelined refusal to a reading client is replaced: `tests/hostile.rs`).

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{ready, Context, Poll};

use http::StatusCode;
use prometheus::IntGauge;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::OwnedSemaphorePermit;

use crate::http::{request_id, ApiError};

/// A request hyper refused, as answered: for the access log and metrics.
#[derive(Debug, Clone)]
pub(crate) struct Refused {
    /// The status sent.
    pub(crate) status: StatusCode,
    /// The `X-Request-Id` sent (a fresh one: the refused head is not trusted).
    pub(crate) request_id: String,
}

/// What happened to hyper's writes so far.
#[derive(Debug)]
enum State {
    /// Everything goes through.
    Passing,
    /// Writing our answer in place of hyper's automatic one (`covers` bytes of hyper's).
    Replacing {
        bytes: Vec<u8>,
        written: usize,
        covers: usize,
    },
}

/// A connection's place under `Config::max_connections`: counted in
/// `chat_connections_open` and given back when the socket is dropped — which, for a
/// WebSocket, is when the upgraded connection ends (hyper hands this very socket over).
#[derive(Debug)]
pub(crate) struct Open {
    _permit: OwnedSemaphorePermit,
    gauge: IntGauge,
}

impl Open {
    /// Counts one open connection until dropped.
    pub(crate) fn new(permit: OwnedSemaphorePermit, gauge: IntGauge) -> Self {
        gauge.inc();
        Self {
            _permit: permit,
            gauge,
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// A socket of the accept loop: hyper's automatic parse-error responses become the
/// contract's, and it holds the connection's [`Open`] place.
#[derive(Debug)]
pub(crate) struct Guarded<S> {
    inner: S,
    state: State,
    refused: Arc<OnceLock<Refused>>,
    _open: Open,
}

impl<S> Guarded<S> {
    /// Wraps `inner`; a replaced refusal is recorded in `refused`.
    pub(crate) fn new(inner: S, refused: Arc<OnceLock<Refused>>, open: Open) -> Self {
        Self {
            inner,
            state: State::Passing,
            refused,
            _open: open,
        }
    }
}

/// The status of `buf` when it is hyper's automatic answer to an unparsable request: a whole
/// `400`, `414` or `431` head without `X-Request-Id`.
fn automatic_refusal(buf: &[u8]) -> Option<StatusCode> {
    let rest = buf.strip_prefix(b"HTTP/1.1 ")?;
    let status = match rest.get(..4)? {
        b"400 " => StatusCode::BAD_REQUEST,
        b"414 " => StatusCode::URI_TOO_LONG,
        b"431 " => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        _ => return None,
    };
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = buf[..end].to_ascii_lowercase();
    let ours = head
        .windows(b"\r\nx-request-id:".len())
        .any(|w| w == b"\r\nx-request-id:");
    (!ours).then_some(status)
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Guarded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let Self {
            inner,
            state,
            refused,
            ..
        } = self.get_mut();
        if let State::Passing = state {
            let Some(status) = automatic_refusal(buf) else {
                return Pin::new(inner).poll_write(cx, buf);
            };
            let request_id = request_id::fresh();
            let bytes = ApiError::Unparsable(status)
                .into_reply(&request_id)
                .into_http1_bytes(&request_id);
            let _ = refused.set(Refused { status, request_id });
            *state = State::Replacing {
                bytes,
                written: 0,
                covers: buf.len(),
            };
        }
        match state {
            State::Replacing {
                bytes,
                written,
                covers,
            } => {
                while *written < bytes.len() {
                    let n = ready!(Pin::new(&mut *inner).poll_write(cx, &bytes[*written..]))?;
                    if n == 0 {
                        return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                    }
                    *written += n;
                }
                // hyper offers its answer again until told it is written; later writes (there
                // are none: hyper closes after a parse error) go through.
                let n = (*covers).min(buf.len());
                *state = State::Passing;
                Poll::Ready(Ok(n))
            }
            State::Passing => Pin::new(inner).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let first: &[u8] = bufs.iter().find(|b| !b.is_empty()).map_or(&[], |b| b);
        let ours =
            matches!(this.state, State::Replacing { .. }) || automatic_refusal(first).is_some();
        if ours {
            // hyper's automatic answer is a head alone, in one slice.
            Pin::new(this).poll_write(cx, first)
        } else {
            Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Guarded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hyper_automatic_answers_are_recognised() {
        let hyper_400 = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\ndate: x\r\n\r\n";
        assert_eq!(automatic_refusal(hyper_400), Some(StatusCode::BAD_REQUEST));
        let hyper_431 =
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(
            automatic_refusal(hyper_431),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        let ours = b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\nX-Request-Id: a\r\n\r\n{}";
        assert_eq!(automatic_refusal(ours), None);
        assert_eq!(automatic_refusal(b"HTTP/1.1 200 OK\r\n\r\n"), None);
        assert_eq!(automatic_refusal(b"HTTP/1.1 400 Bad Req"), None);
    }
}
