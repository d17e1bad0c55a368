//! What a WebSocket client sends after the upgrade: any bytes read through tungstenite with
//! the server's limits, each text message through the client frame parser. Never a panic;
//! every reply is a JSON `pong` or `error` frame; no message over the 16 KiB cap is read.
//! Half the inputs are also tried as one masked text frame, to reach the JSON parser often.
#![no_main]

use chat_server_min::realtime::ws::{fuzz::client_bytes, MAX_CLIENT_MESSAGE};
use libfuzzer_sys::fuzz_target;

fn check(bytes: &[u8]) {
    let out = client_bytes(bytes);
    assert!(out.messages <= bytes.len(), "more messages than bytes");
    for reply in &out.replies {
        let v: serde_json::Value = serde_json::from_str(reply).unwrap_or_default();
        let kind = v.get("type").and_then(|t| t.as_str());
        assert!(matches!(kind, Some("pong" | "error")), "{reply}");
    }
}

/// `payload` as one final, masked (mask 0) text frame.
fn text_frame(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x81];
    match payload.len() {
        n @ 0..=125 => f.push(0x80 | n as u8),
        n @ 126..=65535 => {
            f.push(0x80 | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(0x80 | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    f.extend_from_slice(&[0, 0, 0, 0]);
    f.extend_from_slice(payload);
    f
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode % 2 == 0 {
        check(rest);
    } else if rest.len() <= MAX_CLIENT_MESSAGE {
        check(&text_frame(rest));
    }
});
