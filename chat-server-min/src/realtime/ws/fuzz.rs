//! Fuzzing entry point of what a WebSocket client sends (`fuzz/fuzz_targets/ws_frames.rs`):
//! raw bytes after the upgrade go through tungstenite with the server's configuration
//! ([`super::config`]: 16 KiB frame and message cap), each text message through the client
//! frame parser, and a read error ends the connection as the connection loop ends it. Not API:
//! hidden from the docs. Typing and presence need a live session and are not acted on here.

use std::io::{self, Read, Write};

use tokio_tungstenite::tungstenite::protocol::{Role, WebSocket};
use tokio_tungstenite::tungstenite::Message;

use super::super::{error_frame, End};
use super::frames::{parse, ClientFrame};
use super::{config, read_error};

/// What the server made of a client's bytes.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The text frames the server would answer with (pongs and error frames), in order.
    pub replies: Vec<String>,
    /// Messages read before the connection ended.
    pub messages: usize,
    /// Why the connection would end (`None`: the bytes ran out first, a client going away).
    pub end: Option<End>,
}

/// The client's bytes to read; whatever the server writes is discarded.
struct Replay<'a>(&'a [u8]);

impl Read for Replay<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Replay<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Reads `bytes` as the stream a client sent after the upgrade.
pub fn client_bytes(bytes: &[u8]) -> Outcome {
    let mut ws = WebSocket::from_raw_socket(Replay(bytes), Role::Server, Some(config()));
    let mut out = Outcome::default();
    loop {
        let message = match ws.read() {
            Ok(m) => m,
            Err(e) => {
                let end = read_error(&e);
                out.end = (end != End::Client).then_some(end);
                return out;
            }
        };
        out.messages += 1;
        match message {
            Message::Text(text) => match parse(text.as_str()) {
                Ok(ClientFrame::Ping {}) => out.replies.push(r#"{"type":"pong"}"#.to_owned()),
                Ok(ClientFrame::Typing { .. } | ClientFrame::Presence { .. }) => {}
                Err(refusal) => out.replies.push(refusal),
            },
            Message::Binary(_) => out.replies.push(error_frame(
                "validation_failed",
                "binary frames are not supported; send JSON text frames",
            )),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `payload` as one final masked frame with `opcode`.
    fn frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mask = [1u8, 2, 3, 4];
        let mut f = vec![0x80 | opcode, 0x80 | payload.len() as u8];
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        f
    }

    #[test]
    fn frames_are_answered_as_the_connection_loop_does() {
        let mut bytes = frame(1, br#"{"type":"ping"}"#);
        bytes.extend(frame(1, br#"{"type":"nope"}"#));
        bytes.extend(frame(2, b"\x00"));
        bytes.extend(frame(1, br#"{"type":"presence","status":"away"}"#));
        let out = client_bytes(&bytes);
        assert_eq!(out.messages, 4);
        assert_eq!(out.replies.len(), 3);
        assert_eq!(out.replies[0], r#"{"type":"pong"}"#);
        assert!(out.replies[1].contains("validation_failed"));
        assert!(out.replies[2].contains("binary frames"));
        // An unmasked client frame breaks the protocol.
        assert_eq!(client_bytes(b"\x81\x01a").end, Some(End::ProtocolError));
        // A frame declaring more than 16 KiB is refused as too big.
        let mut big = vec![0x81, 0x80 | 127];
        big.extend_from_slice(&(1u64 << 20).to_be_bytes());
        big.extend_from_slice(&[0; 4]);
        assert_eq!(client_bytes(&big).end, Some(End::TooBig));
    }
}
