//! Request bodies: a size cap enforced while reading, and strict JSON decoding.

use bytes::Bytes;
use chat_core::{ChatError, FieldError};

use super::ApiError;
use http::HeaderMap;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;

/// Largest accepted request body: 64 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Reads the whole body, refusing (`PayloadTooLarge`) as soon as it passes `limit` bytes —
/// up front when `Content-Length` already says so, otherwise while streaming, so an endless
/// body is never buffered.
///
/// Any body type works (hyper's `Incoming` when we serve, the host's when it mounts
/// [`crate::ChatService`]).
pub async fn read_body<B>(headers: &HeaderMap, body: B, limit: usize) -> Result<Bytes, ApiError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::PayloadTooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(ApiError::PayloadTooLarge),
        Err(_) => Err(ChatError::invalid("body", "the body could not be read").into()),
    }
}

/// Decodes a JSON object body into `T` (whose write shapes use `deny_unknown_fields`).
/// Invalid UTF-8, anything but an object, malformed JSON, trailing data, wrong types, unknown or missing fields all become
/// `Validation` errors naming the field (`body` when no field can be named).
pub fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ChatError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ChatError::invalid("body", "not valid UTF-8"))?;
    // Write bodies are objects; serde would otherwise accept a struct written as an array.
    if !text.trim_start().starts_with('{') {
        return Err(ChatError::invalid("body", "must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let (field, message) = match inner.classify() {
            serde_json::error::Category::Data if path != "." => (path, data_message(&inner)),
            serde_json::error::Category::Data => ("body".to_owned(), data_message(&inner)),
            _ => ("body".to_owned(), "malformed JSON".to_owned()),
        };
        ChatError::Validation(vec![FieldError::new(field, message)])
    })?;
    de.end()
        .map_err(|_| ChatError::invalid("body", "trailing data after the JSON value"))?;
    Ok(value)
}

/// serde_json's message without its " at line L column C" suffix.
fn data_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

/// Decodes an optional JSON body: empty (or only whitespace) means `T::default()`.
pub fn decode_optional_json<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, ChatError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        decode_json(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Shape {
        #[allow(dead_code)]
        name: String,
        #[serde(default)]
        #[allow(dead_code)]
        ids: Vec<i64>,
    }

    fn field_of(r: Result<Shape, ChatError>) -> String {
        match r {
            Err(ChatError::Validation(f)) => f[0].field.clone(),
            other => panic!("expected validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_fields() {
        assert!(decode_json::<Shape>(br#"{"name":"x"}"#).is_ok());
        assert_eq!(field_of(decode_json(br#"{"name":5}"#)), "name");
        assert_eq!(
            field_of(decode_json(br#"{"name":"x","ids":[1,"a"]}"#)),
            "ids[1]"
        );
        assert_eq!(field_of(decode_json(br#"{"name":"x","zzz":1}"#)), "zzz");
        assert_eq!(field_of(decode_json(b"{\"name\":\"\xff\"}")), "body");
        assert_eq!(field_of(decode_json(br#"{"name":"x"} {}"#)), "body");
        assert_eq!(field_of(decode_json(br#"{"name":NaN}"#)), "body");
        assert_eq!(
            field_of(decode_json(br#"{"name":"x","ids":[1e400]}"#)),
            "body"
        );
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            decode_json::<Shape>(deep.as_bytes()),
            Err(ChatError::Validation(_))
        ));
    }

    #[test]
    fn optional_bodies() {
        assert!(decode_optional_json::<Shape>(b"  ").is_ok());
    }
}
