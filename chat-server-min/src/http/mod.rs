//! HTTP plumbing shared by every route: request ids, body limits and JSON decoding, query
//! parsing, responses and the one mapping from [`chat_core::ChatError`] to HTTP.

pub mod body;
pub mod error;
pub mod query;
pub mod request_id;
pub mod response;

pub use body::{decode_json, read_body, MAX_BODY_BYTES};
pub use error::ApiError;
pub use query::Query;
pub use response::{Reply, ResponseBody};
