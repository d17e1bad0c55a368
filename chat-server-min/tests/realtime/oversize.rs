//! Client messages over 16 KiB close the WebSocket with a 1009 close frame, whether they come
//! as one frame (refused at its header, payload still on the wire) or as fragments.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::Message;

use super::*;

/// Sends `frames` as a simple client would (everything first, send errors ignored), then
/// reads: the close frame the server sent, if one arrives in time.
async fn close_after(ws: common::live::Ws, frames: Vec<Message>) -> Option<(u16, String)> {
    let mut stream = ws.stream;
    for f in frames {
        if stream.send(f).await.is_err() {
            break;
        }
    }
    tokio::time::timeout(WAIT, async {
        while let Some(item) = stream.next().await {
            match item {
                Ok(Message::Close(frame)) => {
                    return frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                }
                Ok(_) => {}
                Err(e) => panic!("the connection failed before a close frame: {e}"),
            }
        }
        panic!("the connection ended without a close frame");
    })
    .await
    .expect("no close frame in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_messages_get_1009_as_one_frame_or_fragmented() {
    let s = start(realtime_config()).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);
    let text = |n: usize| format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(n));
    let cases: Vec<(&str, Vec<Message>)> = vec![
        ("one 17 KiB frame", vec![Message::text(text(17 * 1024))]),
        ("one 1 MiB frame", vec![Message::text(text(1024 * 1024))]),
        (
            "20 fragments of 1 KiB",
            std::iter::once(Message::Frame(Frame::message(
                "x".repeat(1024),
                OpCode::Data(Data::Text),
                false,
            )))
            .chain((0..19).map(|i| {
                Message::Frame(Frame::message(
                    "x".repeat(1024),
                    OpCode::Data(Data::Continue),
                    i == 18,
                ))
            }))
            .collect(),
        ),
    ];
    for (name, frames) in cases {
        for round in 0..3 {
            let ws = s.ws(1, "", Some(&t3), &[]).await.unwrap();
            let (code, reason) = close_after(ws, frames.clone())
                .await
                .unwrap_or_else(|| panic!("{name} #{round}: a close frame without a code"));
            assert_eq!(code, 1009, "{name} #{round}: {reason}");
            assert!(reason.starts_with("message_too_big"), "{name}: {reason}");
        }
    }
    // The user's connection slots were all given back.
    let ws = s.ws(1, "", Some(&t3), &[]).await;
    assert!(ws.is_ok());
    s.stop().await;
}

/// A raw client: the handshake, then one masked text frame of `len` bytes written at once;
/// everything the server sent after the `101` head (or the read error that ended it).
async fn raw_big_frame(s: &Server, token: &str, len: usize) -> (Vec<u8>, Option<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(s.addr).await.unwrap();
    let head = format!(
        "GET {}/ws HTTP/1.1\r\nhost: x\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
         sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\
         authorization: Bearer {token}\r\n\r\n",
        s.base(1)
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed during the handshake");
        got.extend_from_slice(&buf[..n]);
    }
    assert!(
        got.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&got)
    );
    let end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut after: Vec<u8> = got[end..].to_vec();
    let mut frame = vec![0x81, 0x80 | 127];
    frame.extend_from_slice(&(len as u64).to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]);
    frame.extend(std::iter::repeat_n(b'x', len));
    let _ = sock.write_all(&frame).await;
    let error = tokio::time::timeout(WAIT, async {
        loop {
            match sock.read(&mut buf).await {
                Ok(0) => return None,
                Ok(n) => after.extend_from_slice(&buf[..n]),
                Err(e) => return Some(e.to_string()),
            }
        }
    })
    .await
    .expect("the server kept the connection open");
    (after, error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_oversized_frame_from_a_raw_client_gets_1009_then_a_clean_close() {
    let s = start(realtime_config()).await;
    user(&s.chat, 1, 3, AccountRole::Agent).await;
    let t3 = token(1, 3, AccountRole::Agent);
    for len in [17 * 1024, 100 * 1024, 4 * 1024 * 1024] {
        let (after, error) = raw_big_frame(&s, &t3, len).await;
        // Skip server frames before the close (presence events, …): find 0x88, code 1009.
        let close = after
            .windows(4)
            .position(|w| w[0] == 0x88 && w[2..4] == 1009u16.to_be_bytes());
        assert!(
            close.is_some(),
            "{len} bytes: no 1009 close frame (read error: {error:?}, got {} bytes)",
            after.len()
        );
        assert_eq!(error, None, "{len} bytes: the connection was reset");
    }
    s.stop().await;
}
